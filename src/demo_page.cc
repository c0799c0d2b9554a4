#include "ssebridge/demo_page.h"

namespace ssebridge {

std::string_view DemoPageHtml() {
  // Self-contained: no external scripts or styles, so it works offline and
  // under any --base-path (URLs are computed from the page's own location).
  static const char kHtml[] = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssebridge demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #222; }
  fieldset { border: 1px solid #ccc; border-radius: 6px; margin-bottom: 1rem; }
  input, textarea, button { font: inherit; padding: .3rem .5rem; }
  textarea { width: 100%; box-sizing: border-box; }
  #status { font-weight: bold; }
  #log { list-style: none; padding: 0; font-family: ui-monospace, monospace; font-size: 13px; }
  #log li { border-bottom: 1px solid #eee; padding: .25rem 0; white-space: pre-wrap; word-break: break-all; }
  .meta { color: #777; }
</style>
</head>
<body>
<h1>ssebridge demo</h1>
<fieldset>
  <legend>Subscribe</legend>
  <label>Channels (comma-separated; <code>*</code>, <code>?</code>, <code>[</code> make patterns)
    <input id="channels" value="demo" size="30"></label>
  <button id="connect">Connect</button> <button id="disconnect" disabled>Disconnect</button>
  <div>Status: <span id="status">disconnected</span></div>
</fieldset>
<fieldset>
  <legend>Publish</legend>
  <label>Channel <input id="pub-channel" value="demo" size="16"></label>
  <label>Event <input id="pub-event" placeholder="message" size="12"></label>
  <textarea id="pub-data" rows="3">{"hello": "world"}</textarea>
  <button id="publish">Publish</button> <span id="pub-result" class="meta"></span>
</fieldset>
<ul id="log"></ul>
<script>
(function () {
  var base = location.pathname.replace(/index\.html$/, '');
  if (base.charAt(base.length - 1) !== '/') base += '/';
  var source = null;
  var $ = function (id) { return document.getElementById(id); };
  function show(kind, event) {
    var li = document.createElement('li');
    var meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = new Date().toISOString().slice(11, 23) + ' ' + kind +
        (event.lastEventId ? ' id=' + event.lastEventId : '') + ' ';
    li.appendChild(meta);
    li.appendChild(document.createTextNode(event.data));
    $('log').insertBefore(li, $('log').firstChild);
  }
  function connect() {
    disconnect();
    var query = $('channels').value.split(',').map(function (c) { return c.trim(); })
        .filter(Boolean).map(function (c) { return 'channel=' + encodeURIComponent(c); }).join('&');
    source = new EventSource(base + 'events?' + query);
    $('status').textContent = 'connecting';
    source.onopen = function () { $('status').textContent = 'open'; };
    source.onerror = function () { $('status').textContent = source.readyState === 2 ? 'closed' : 'reconnecting'; };
    source.onmessage = function (e) { show('message', e); };
    var named = $('pub-event');
    named.addEventListener('change', function () { listen(named.value); });
    listen(named.value);
    $('connect').disabled = true; $('disconnect').disabled = false;
  }
  var listened = {};
  function listen(name) {
    if (!source || !name || name === 'message' || listened[name]) return;
    listened[name] = true;
    source.addEventListener(name, function (e) { show(name, e); });
  }
  function disconnect() {
    if (source) source.close();
    source = null; listened = {};
    $('status').textContent = 'disconnected';
    $('connect').disabled = false; $('disconnect').disabled = true;
  }
  function publish() {
    var text = $('pub-data').value, data;
    try { data = JSON.parse(text); } catch (e) { data = text; }
    var body = { channel: $('pub-channel').value, data: data };
    if ($('pub-event').value) body.event = $('pub-event').value;
    fetch(base + 'publish', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
      .then(function (p) { $('pub-result').textContent = p[0] + ' ' + JSON.stringify(p[1]); })
      .catch(function (e) { $('pub-result').textContent = 'failed: ' + e; });
  }
  $('connect').onclick = connect;
  $('disconnect').onclick = disconnect;
  $('publish').onclick = publish;
  connect();
})();
</script>
</body>
</html>
)HTML";
  return std::string_view(kHtml, sizeof kHtml - 1);
}

}  // namespace ssebridge
