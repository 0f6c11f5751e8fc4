/* circlepress: opens a private circle's page in the browser with WebCrypto.
 * The share link's fragment (#k=key) never reaches the server. The key unwraps the circle's
 * content key, which decrypts this page; the content key is kept in sessionStorage so the
 * circle's other pages open without the link. "Remember on this device" (off until ticked) also
 * keeps it in localStorage, so a bookmark or a later visit opens the circle; "Forget on this
 * device" removes both. Failures show a neutral message, never content. */
(function () {
  "use strict";
  var KEY = /^[A-Za-z0-9_-]{43}$/;  /* a 256-bit key, base64url */
  var LINK = /^k=([A-Za-z0-9_-]{43})$/;  /* the fragment privacy.share_link writes */
  var opened = false;
  var carried = "";  /* the fragment a moved page hands on to the new address: the link's key */
  var sealed = JSON.parse(document.getElementById("circlepress-sealed").textContent);
  var storeName = "circlepress:" + sealed.circle;
  var text = new TextEncoder();

  function bytes(b64) {
    var s = b64.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var raw = atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function base64(data) {
    var raw = "";
    for (var i = 0; i < data.length; i++) raw += String.fromCharCode(data[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decrypt(rawKey, box, aad) {
    return crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt"]).then(function (key) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes(box.iv), additionalData: text.encode(aad) },
        key, bytes(box.ct));
    }).then(function (plain) { return new Uint8Array(plain); });
  }

  function wrapKey(secret) {
    var wrap = sealed.wrap;
    if (wrap.kind === "link") return Promise.resolve(bytes(secret));
    return crypto.subtle.importKey("raw", text.encode(secret), "PBKDF2", false, ["deriveBits"]).then(function (base) {
      return crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: bytes(wrap.salt),
        iterations: wrap.iterations }, base, 256);
    }).then(function (bits) { return new Uint8Array(bits); });
  }

  function contentKey(secret) {
    return wrapKey(secret).then(function (key) {
      return decrypt(key, sealed.wrap, "circlepress:wrap:v1:" + sealed.circle);
    });
  }

  /* The page's path inside the circle's folder, as this browser sees it: binds the ciphertext to it. */
  function pagePath() {
    var path = decodeURIComponent(location.pathname);
    var at = path.lastIndexOf("/" + sealed.circle + "/");
    var rest = at < 0 ? "" : path.slice(at + sealed.circle.length + 2);
    if (rest === "" || rest.slice(-1) === "/") rest += "index.html";
    return "circlepress:page:v1:" + sealed.circle + ":" + rest;
  }

  function anchorTarget(anchor) {
    try { anchor = decodeURIComponent(anchor); } catch (e) { /* not percent-encoded: as written */ }
    return anchor ? document.getElementById(anchor) : null;
  }

  /* The page was compressed and padded (a 0x80 byte, then zeros) so its size tells nothing of what it holds. */
  function unpack(plain) {
    var end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (end < 0 || plain[end] !== 0x80) throw new Error("not a padded page");
    var inflated = new Blob([plain.subarray(0, end)]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(inflated).text();
  }

  /* localStorage and sessionStorage may be switched off: every use goes through these. */
  function get(store, name) {
    try { return window[store].getItem(name); } catch (e) { return null; }
  }
  function put(store, name, value) {
    try { window[store].setItem(name, value); return true; } catch (e) { return false; }
  }
  function drop(store, name) {
    try { window[store].removeItem(name); } catch (e) { /* storage off: nothing kept */ }
  }

  /* "Remember on this device" and "Forget on this device", added to every opened page of the circle. */
  function deviceControls() {
    var box = document.createElement("section");
    box.className = "device-key";
    box.setAttribute("aria-label", "This device");
    var label = document.createElement("label");
    var tick = document.createElement("input");
    tick.type = "checkbox";
    tick.id = "remember-device";
    tick.checked = !!get("localStorage", storeName);
    label.appendChild(tick);
    label.appendChild(document.createTextNode(" Remember on this device"));
    var note = document.createElement("p");
    note.id = "remember-note";
    note.setAttribute("role", "status");
    var forget = document.createElement("button");
    forget.type = "button";
    forget.id = "forget-device";
    forget.textContent = "Forget on this device";
    function say() {
      note.textContent = tick.checked ? "This browser opens the circle’s pages without the link until you forget it."
                                      : "Only this tab opens the circle’s pages without the link.";
    }
    tick.addEventListener("change", function () {
      var key = get("sessionStorage", storeName);
      if (tick.checked && !(key && put("localStorage", storeName, key))) {
        tick.checked = false;
        say();
        note.textContent = "This browser does not let the page remember it.";
        return;
      }
      if (!tick.checked) drop("localStorage", storeName);
      say();
    });
    forget.addEventListener("click", function () {
      drop("localStorage", storeName);
      drop("sessionStorage", storeName);
      location.replace(location.pathname + location.search);  /* the page locks again */
    });
    say();
    box.appendChild(label);
    box.appendChild(note);
    box.appendChild(forget);
    (document.querySelector("main") || document.body).appendChild(box);
  }

  /* A sealed page at an old address (`aliases:`): once opened, go to the new one, carrying the
   * link's key in the fragment, as the link did (the key is kept in this tab too, when it can be). */
  function moved(page) {
    var to = page.querySelector("a[data-moved]");
    if (!to) return false;
    var target = new URL(to.getAttribute("href"), location.href);
    if (target.origin !== location.origin) return false;  /* only ever to this site's own page */
    location.replace(target.href.split("#")[0] + carried);
    return true;
  }

  function show(page) {
    document.title = page.title;
    document.body.replaceWith(document.importNode(page.body, true));
    opened = true;
    deviceControls();
    var target = anchorTarget(location.hash.slice(1));
    if (target) target.scrollIntoView();
    document.dispatchEvent(new Event("circlepress:opened"));
  }

  function open(key) {
    return decrypt(key, sealed.page, pagePath()).then(unpack).then(function (html) {
      put("sessionStorage", storeName, base64(key));  /* storage off: ask per page */
      if (get("localStorage", storeName)) put("localStorage", storeName, base64(key));  /* a new link's key */
      var page = new DOMParser().parseFromString(html, "text/html");
      if (!moved(page)) show(page);
    });
  }

  function opening(on) { document.getElementById("main").classList.toggle("opening", on); }

  function ask(message) {
    if (opened) return;  /* the page is open: a link that does not open it changes nothing */
    opening(false);
    var form = document.getElementById("unlock");
    if (message) document.getElementById("locked-message").textContent = message;
    form.hidden = false;
  }

  function tryWith(secret) {
    return contentKey(secret).then(function (key) {
      carried = sealed.wrap.kind === "link" ? "#k=" + secret : "";  /* never a passphrase */
      return open(key);
    });
  }

  function fromPasted(value) {
    value = value.trim();
    if (sealed.wrap.kind !== "link") return value;
    var hash = value.indexOf("#");
    return hash >= 0 ? value.slice(hash + 1) : value;
  }

  /* The key a link carries: `k=<key>`, or a bare key as links made before the `k=` had. A bare one
   * may be an in-page anchor that looks the same (a heading's id of 43 letters, digits and '-'): it
   * is tried, and if it opens nothing it is an anchor, and the key kept in this tab opens the page. */
  function keyIn(text) {
    var match = LINK.exec(text);
    if (match) return { key: match[1], sure: true };
    return KEY.test(text) ? { key: text, sure: false } : null;
  }

  function forgetLink() {
    history.replaceState(null, "", location.pathname + location.search);
  }

  function fromFragment() {
    var found = sealed.wrap.kind === "link" ? keyIn(location.hash.slice(1)) : null;
    if (!found) return false;
    opening(true);
    if (found.sure) forgetLink();
    tryWith(found.key).then(function () {
      if (!found.sure) forgetLink();
    }, function () {
      if (found.sure) ask("That link does not open this page.");
      else if (!opened) fromStore("That link does not open this page.");
    });
    return true;
  }

  /* The tab's copy, else the one remembered on this device; a key that no longer opens the
   * page (the circle's key was rotated) is dropped from where it came from. */
  function fromStore(message) {
    var store = get("sessionStorage", storeName) ? "sessionStorage" : "localStorage";
    var saved = get(store, storeName);
    if (!saved) return ask(message);
    opening(true);
    carried = "";  /* the new page opens from the tab's key as this one did */
    open(bytes(saved)).catch(function () {
      drop(store, storeName);
      if (store === "sessionStorage" && get("localStorage", storeName)) fromStore(message);
      else ask();
    });
  }

  function start() {
    if (!(window.crypto && crypto.subtle)) {
      ask("This page can only be opened over https:// or from a file on your device.");
      return;
    }
    if (!window.DecompressionStream) {
      ask("This browser is too old to open this page: update it, or use another browser.");
      return;
    }
    document.getElementById("unlock").addEventListener("submit", function (event) {
      event.preventDefault();
      var secret = fromPasted(document.getElementById("unlock-input").value);
      var found = sealed.wrap.kind === "link" ? keyIn(secret) : { key: secret };
      (found ? tryWith(found.key) : Promise.reject()).catch(function () {
        ask(sealed.wrap.kind === "link" ? "That link does not open this page. Check that you copied all of it."
                                        : "That passphrase does not open this page.");
      });
    });
    /* A link pasted into the address bar of a locked page changes only the fragment. */
    window.addEventListener("hashchange", fromFragment);
    if (!fromFragment()) fromStore();
  }

  start();
})();
