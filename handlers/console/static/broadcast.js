// The new article's form (broadcast_new.html): the training's fields show
// only for a training; the group list and the station ticks only for
// their audience; and the line under the audience, with the question
// asked before sending, says how many deputies the choice reaches (the
// server counts: /console/broadcasts/audience). Without script the form
// shows everything and the server's first count.
(function () {
  'use strict';
  var form = document.getElementById('broadcast-form');
  if (!form) { return; }
  var preview = document.getElementById('bc-preview');
  var url = form.getAttribute('data-audience-url');
  function checked(name) {
    var el = form.querySelector('input[name="' + name + '"]:checked');
    return el ? el.value : '';
  }
  function show() {
    document.getElementById('bc-training').hidden = checked('kind') !== 'training';
    var a = checked('audience');
    document.getElementById('bc-group').hidden = a !== 'group';
    document.getElementById('bc-stations').hidden = a !== 'stations';
  }
  var seq = 0;
  function count() {
    var q = new URLSearchParams();
    q.set('audience', checked('audience'));
    q.set('group_id', form.querySelector('select[name="group_id"]').value);
    form.querySelectorAll('input[name="station_ids"]:checked').forEach(function (el) { q.append('station_ids', el.value); });
    var mine = ++seq;
    fetch(url + '?' + q.toString(), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (mine !== seq) { return; }
        if (res.ok) {
          preview.textContent = res.j.text;
          form.setAttribute('data-confirm', res.j.confirm);
        } else {
          preview.textContent = (res.j.error && res.j.error.message) || '暂时无法统计收件人数';
        }
      })
      .catch(function () { if (mine === seq) { preview.textContent = '暂时无法统计收件人数，请检查网络'; } });
  }
  form.addEventListener('change', function (e) {
    var n = e.target.name;
    if (n === 'kind' || n === 'audience') { show(); }
    if (n === 'audience' || n === 'group_id' || n === 'station_ids') { count(); }
  });
  show();
})();
