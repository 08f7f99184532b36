// The console's little JavaScript. No inline scripts: the pages' CSP allows
// only files served from /console/static and WeChat's JS-SDK host.
(function () {
  'use strict';
  // A form with data-confirm asks before it is sent, in a dialog of the
  // page (WeChat's browser shows window.confirm with the page's address).
  function ask(text, ok) {
    var d = document.createElement('dialog');
    d.className = 'confirm';
    var p = document.createElement('p');
    p.textContent = text;
    var row = document.createElement('div');
    row.className = 'actions';
    var no = document.createElement('button');
    no.type = 'button'; no.className = 'weui-btn weui-btn_default'; no.textContent = '取消';
    var yes = document.createElement('button');
    yes.type = 'button'; yes.className = 'weui-btn weui-btn_primary'; yes.textContent = '确定';
    yes.id = 'confirm-yes';
    row.appendChild(no); row.appendChild(yes);
    d.appendChild(p); d.appendChild(row);
    document.body.appendChild(d);
    no.onclick = function () { d.close(); d.remove(); };
    yes.onclick = function () { d.close(); d.remove(); ok(); };
    if (d.showModal) { d.showModal(); } else if (window.confirm(text)) { ok(); }
  }
  // A button may ask its own question (data-confirm on the button); its
  // name and value are sent as a click would send them.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var b = e.submitter;
    var text = (b && b.getAttribute('data-confirm')) || f.getAttribute('data-confirm');
    if (!text || f.dataset.confirmed) { return; }
    e.preventDefault();
    ask(text, function () {
      f.dataset.confirmed = '1';
      if (b && b.name) {
        var h = document.createElement('input');
        h.type = 'hidden'; h.name = b.name; h.value = b.value;
        f.appendChild(h);
      }
      f.submit();
    });
  }, true);
  // A form is sent once: a second tap while the page loads does nothing.
  document.addEventListener('submit', function (e) {
    if (e.defaultPrevented) { return; }
    var f = e.target;
    if (f.dataset.sent) { e.preventDefault(); return; }
    f.dataset.sent = '1';
  });
})();
