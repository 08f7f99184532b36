// The reception desk inside WeChat: the 扫一扫 button reads a booking's QR
// code with WeChat's scanner (JS-SDK wx.scanQRCode) and checks it in. The
// page loads WeChat's script only inside WeChat; outside, codes are typed.
(function () {
  'use strict';
  var btn = document.getElementById('scan-button');
  var form = document.getElementById('checkin-form');
  var input = document.getElementById('checkin-code');
  if (!btn || !form || !input || typeof wx === 'undefined') { return; }
  var pageURL = location.href.split('#')[0];
  var xhr = new XMLHttpRequest();
  xhr.open('GET', '/console/desk/jsconfig?url=' + encodeURIComponent(pageURL));
  xhr.onload = function () {
    if (xhr.status !== 200) { return; }
    var c = JSON.parse(xhr.responseText);
    wx.config({ debug: false, appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr,
      signature: c.signature, jsApiList: ['scanQRCode'] });
    wx.ready(function () { btn.hidden = false; });
  };
  xhr.send();
  btn.addEventListener('click', function () {
    wx.scanQRCode({
      needResult: 1,
      scanType: ['qrCode', 'barCode'],
      success: function (res) {
        input.value = res.resultStr || '';
        form.dataset.confirmed = '1';
        form.submit();
      }
    });
  });
})();
