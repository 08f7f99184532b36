// The desk's QR sign-in (templates/pages/login.html): ask every few
// seconds whether the code was scanned; once it is, go on signed in; once
// it has expired, say so and offer a new code.
(function () {
  'use strict';
  var box = document.getElementById('desk-qr');
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute('data-poll');
  var every = parseInt(box.getAttribute('data-every'), 10) || 2000;
  var status = document.getElementById('qr-status');
  var renew = document.getElementById('qr-renew');
  var done = false;
  function expired(text) {
    done = true;
    box.classList.add('expired');
    status.textContent = text || '二维码已过期，请换一个二维码再扫。';
    renew.hidden = false;
  }
  function poll() {
    if (done) { return; }
    fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.state === 'signed_in') {
          done = true;
          status.textContent = d.message || '已确认，正在进入工作台…';
          window.location.assign(d.next || '/console/');
          return;
        }
        if (d.state === 'expired') { expired(d.message); return; }
        setTimeout(poll, every);
      })
      .catch(function () { setTimeout(poll, every * 2); });
  }
  setTimeout(poll, every);
})();
