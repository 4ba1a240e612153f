/* Finding and opening a sealed record in the browser, shared by the verification page (verify.js, DK- codes) and
 * the student self-view (me.js, ME- codes); the format is written by dekt/site/sealed.py.
 *
 * A code (as printed: DK-XXXX-XXXX-XXXX-XXXX or ME-…) names a record: the first 32 hex digits of
 * SHA-256("dekt-verify/1 name\0" + code). Records sit in buckets <folder><first k digits>.json (k from
 * <folder>index.json); a record is AES-256-GCM encrypted under HKDF-SHA256(code), the name as associated data.
 * Without the code nothing can be found or read. WebCrypto needs a secure context (HTTPS or localhost).
 * Defines one global, window.dektSealed; loaded before the page's own script (no inline script: the CSP forbids it).
 */
(function () {
  "use strict";

  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford's base 32: no I, L, O, U
  var enc = new TextEncoder();

  /* A code as typed (any case, spaces, O for 0, I or L for 1) in its printed form with `prefix` ("DK", "ME"), or null. */
  function normalize(text, prefix) {
    var raw = String(text || "").toUpperCase().replace(/[\s\-‐-―－]/g, "");
    if (raw.indexOf(prefix) === 0) raw = raw.slice(prefix.length);
    raw = raw.replace(/O/g, "0").replace(/[IL]/g, "1");
    if (raw.length !== 16) return null;
    for (var i = 0; i < raw.length; i++) if (ALPHABET.indexOf(raw[i]) < 0) return null;
    return prefix + "-" + raw.match(/.{4}/g).join("-");
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function b64(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* The name a code's record is filed under (a promise of 32 hex digits). */
  function recordName(code) {
    return crypto.subtle.digest("SHA-256", enc.encode("dekt-verify/1 name\u0000" + code)).then(function (d) { return hex(d).slice(0, 32); });
  }

  function getJSON(url) {
    return fetch(url, { cache: "no-cache" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status + " " + url);
      return r.json();
    });
  }

  function decrypt(code, name, entry) {
    return crypto.subtle.importKey("raw", enc.encode(code), "HKDF", false, ["deriveKey"]).then(function (ikm) {
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: enc.encode("dekt-verify/1"), info: enc.encode("aes-256-gcm") },
        ikm, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
    }).then(function (key) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: b64(entry.iv), additionalData: enc.encode(name) }, key, b64(entry.data));
    }).then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
  }

  /* The record a code opens (a promise), or null when no record has this code. `folder` is the address of the
     folder holding index.json and the buckets, relative to the page, ending in "/" ("" for the page's own folder). */
  function open(folder, code) {
    return Promise.all([getJSON(folder + "index.json"), recordName(code)]).then(function (got) {
      var k = got[0].prefix, name = got[1];
      return getJSON(folder + name.slice(0, k) + ".json").then(function (bucket) {
        var entry = bucket.records[name];
        return entry ? decrypt(code, name, entry) : null;
      });
    });
  }

  /* An element whose text (attrs.text) and children given as strings are set as text, never parsed as markup. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  /* The code a QR code brought the reader here with: ?code=… or #code=… (null when none). */
  function givenCode() {
    var params = new URLSearchParams(window.location.search);
    var fromHash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    return params.get("code") || fromHash.get("code");
  }

  window.dektSealed = {
    normalize: normalize, hex: hex, b64: b64, recordName: recordName, getJSON: getJSON, open: open,
    el: el, givenCode: givenCode
  };
})();
