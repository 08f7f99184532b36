// The dashboard's charts: drawn with Apache ECharts (echarts.min.js,
// vendored) from the figures the page carries as JSON in
// <script type="application/json" id="dashboard-data">. The tables under
// each chart hold the same numbers, so the page is whole without this
// script. SVG rendering keeps text sharp; tooltips are rich text, not HTML,
// so nothing needs an inline style (the console's CSP forbids them).
(function () {
  'use strict';
  var data = document.getElementById('dashboard-data');
  if (!data || typeof echarts === 'undefined') {
    return;
  }
  var figures;
  try {
    figures = JSON.parse(data.textContent);
  } catch (e) {
    return;
  }
  var green = '#07c160';
  var palette = ['#07c160', '#2f7bd9', '#f5a623', '#d93026', '#8e5cd9', '#13a8a8', '#e86f9a', '#7a8a99', '#b48a3c'];
  var text = { fontSize: 13, color: '#333' };
  var tooltip = { trigger: 'item', renderMode: 'richText', confine: true };

  function labels(rows) { return rows.map(function (r) { return r.label; }); }
  function values(rows) { return rows.map(function (r) { return r.n; }); }

  // bars draws a bar chart: columns (months) or, horizontal, rows with
  // long Chinese names (stations, statuses, channels).
  function bars(rows, horizontal) {
    var cat = { type: 'category', data: labels(rows), axisLabel: { fontSize: 12, color: '#555', interval: 0 }, axisTick: { alignWithLabel: true } };
    var val = { type: 'value', minInterval: 1, axisLabel: { fontSize: 12, color: '#888' } };
    if (horizontal) {
      cat.inverse = true;
      cat.axisLabel.width = 130;
      cat.axisLabel.overflow = 'truncate';
    } else if (rows.length > 6) {
      cat.axisLabel.rotate = 40;
    }
    return {
      color: [green],
      textStyle: text,
      tooltip: tooltip,
      grid: { left: 8, right: 28, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: [{ type: 'bar', data: values(rows), barMaxWidth: 28, label: { show: true, position: horizontal ? 'right' : 'top', fontSize: 12 } }]
    };
  }

  function pie(rows) {
    return {
      color: palette,
      textStyle: text,
      tooltip: tooltip,
      series: [{
        type: 'pie', radius: ['30%', '62%'], center: ['50%', '52%'],
        data: rows.map(function (r) { return { name: r.label, value: r.n }; }),
        label: { formatter: '{b}\n{c}件', fontSize: 12 },
        labelLine: { length: 6, length2: 6 }
      }]
    };
  }

  var builders = {
    months: function () { return bars(figures.months || [], false); },
    categories: function () { return pie(figures.categories || []); },
    channels: function () { return bars(figures.channels || [], true); },
    statuses: function () { return bars(figures.statuses || [], true); },
    stations: function () { return bars((figures.stations || []).slice(0, 15), true); }
  };

  var charts = [];
  var boxes = document.querySelectorAll('[data-chart]');
  Array.prototype.forEach.call(boxes, function (box) {
    var build = builders[box.getAttribute('data-chart')];
    if (!build) {
      return;
    }
    var option = build();
    var rows = option.series[0].data;
    if (!rows.length || rows.every(function (v) { return (v.value !== undefined ? v.value : v) === 0; })) {
      box.classList.add('chart-empty');
      box.textContent = '本时段没有数据';
      return;
    }
    // No animation: the figures appear at once, also on a slow phone.
    option.animation = false;
    var chart = echarts.init(box, null, { renderer: 'svg' });
    chart.setOption(option);
    box.classList.add('chart-drawn');
    charts.push(chart);
  });
  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.resize(); });
    }, 150);
  });
})();
