/* circlepress: opens a private circle's page in the browser with WebCrypto.
 * The share link's fragment (#k=key) never reaches the server. The key unwraps the circle's
 * content key, which decrypts this page; the content key is kept in sessionStorage so the
 * circle's other pages open without the link. Failures show a neutral message, never content. */
(function () {
  "use strict";
  var KEY = /^[A-Za-z0-9_-]{43}$/;  /* a 256-bit key, base64url */
  var LINK = /^k=([A-Za-z0-9_-]{43})$/;  /* the fragment privacy.share_link writes */
  var opened = false;
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

  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    document.title = page.title;
    document.body.replaceWith(document.importNode(page.body, true));
    opened = true;
    var target = anchorTarget(location.hash.slice(1));
    if (target) target.scrollIntoView();
    document.dispatchEvent(new Event("circlepress:opened"));
  }

  function open(key) {
    return decrypt(key, sealed.page, pagePath()).then(unpack).then(function (html) {
      try { sessionStorage.setItem(storeName, base64(key)); } catch (e) { /* storage off: ask per page */ }
      show(html);
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
    return contentKey(secret).then(open);
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

  function fromStore(message) {
    var saved = null;
    try { saved = sessionStorage.getItem(storeName); } catch (e) { /* storage off */ }
    if (!saved) return ask(message);
    opening(true);
    open(bytes(saved)).catch(function () {
      try { sessionStorage.removeItem(storeName); } catch (e) { /* storage off */ }
      ask();
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
