// The recording page's player: play, seek, speed, one channel alone (Web Audio channel
// splitter: left is the customer, right the agent), and the waveform drawn from the peaks the
// server put on the canvas. Loaded as a file: the page allows no inline script.
(function () {
  "use strict";
  var audio = document.getElementById("audio");
  if (!audio) return;
  var play = document.getElementById("play");
  var seek = document.getElementById("seek");
  var time = document.getElementById("time");
  var speed = document.getElementById("speed");
  var channel = document.getElementById("channel");
  var canvas = document.getElementById("waveform");
  var graph = null;

  function numbers(text) {
    return text ? text.split(",").map(Number) : [];
  }
  var left = numbers(canvas.dataset.left);
  var right = numbers(canvas.dataset.right);

  function draw() {
    var ctx = canvas.getContext("2d");
    var w = canvas.width, h = canvas.height, half = h / 2;
    ctx.clearRect(0, 0, w, h);
    var n = Math.max(left.length, 1);
    var done = audio.duration ? audio.currentTime / audio.duration : 0;
    for (var i = 0; i < left.length; i++) {
      var x = (i / n) * w, bw = Math.max(w / n, 1);
      var played = i / n <= done;
      ctx.fillStyle = played ? "#1f5fa8" : "#8fb3dc";
      var l = (left[i] / 255) * (half - 2);
      ctx.fillRect(x, half - l, bw, l);
      ctx.fillStyle = played ? "#2e7d32" : "#9ccc9f";
      var r = (right[i] / 255) * (half - 2);
      ctx.fillRect(x, half, bw, r);
    }
  }

  function clock(s) {
    s = Math.floor(s || 0);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // Built on first use: browsers start an AudioContext only after a gesture.
  function route() {
    if (!graph) {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      var ctx = new Ctx();
      var source = ctx.createMediaElementSource(audio);
      var split = ctx.createChannelSplitter(2);
      var merge = ctx.createChannelMerger(2);
      var gains = [ctx.createGain(), ctx.createGain()];
      source.connect(split);
      // Each channel alone is heard in both ears.
      for (var c = 0; c < 2; c++) {
        split.connect(gains[c], c);
        gains[c].connect(merge, 0, 0);
        gains[c].connect(merge, 0, 1);
      }
      merge.connect(ctx.destination);
      graph = { ctx: ctx, gains: gains };
    }
    var which = channel.value;
    // Both channels summed into each ear: halve them so the mix does not clip.
    graph.gains[0].gain.value = which === "right" ? 0 : which === "both" ? 0.5 : 1;
    graph.gains[1].gain.value = which === "left" ? 0 : which === "both" ? 0.5 : 1;
    if (graph.ctx.state === "suspended") graph.ctx.resume();
  }

  play.addEventListener("click", function () {
    route();
    if (audio.paused) audio.play(); else audio.pause();
  });
  channel.addEventListener("change", route);
  speed.addEventListener("change", function () {
    audio.playbackRate = Number(speed.value);
  });
  seek.addEventListener("input", function () {
    if (audio.duration) audio.currentTime = (seek.value / 1000) * audio.duration;
  });
  canvas.addEventListener("click", function (e) {
    var box = canvas.getBoundingClientRect();
    if (audio.duration) audio.currentTime = ((e.clientX - box.left) / box.width) * audio.duration;
  });
  audio.addEventListener("timeupdate", function () {
    if (audio.duration) seek.value = String(Math.round((audio.currentTime / audio.duration) * 1000));
    time.textContent = clock(audio.currentTime) + " / " + clock(audio.duration);
    draw();
  });
  audio.addEventListener("loadedmetadata", draw);
  draw();
})();
