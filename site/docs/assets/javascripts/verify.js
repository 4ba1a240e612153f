/* Transcript verification in the browser, with static files only (see dekt/site/sealed.py for the format).
 *
 * The code (as printed: DK-XXXX-XXXX-XXXX-XXXX) names a record: the first 32 hex digits of
 * SHA-256("dekt-verify/1 name\0" + code). Records sit in buckets verify/<first k digits>.json (k from
 * verify/index.json); a record is AES-256-GCM encrypted under HKDF-SHA256(code), the name as associated
 * data. Without the code nothing can be found or read. WebCrypto needs a secure context (HTTPS or localhost).
 * Finding and opening the record is sealed.js (window.dektSealed), shared with the self-view page me.js.
 */
(function () {
  "use strict";

  var sealed = window.dektSealed, el = sealed.el; // sealed.js, loaded before this file

  function normalize(text) { return sealed.normalize(text, "DK"); }

  function field(dl, label, value) {
    if (value === undefined || value === null || value === "") return;
    dl.appendChild(el("dt", { text: label }));
    dl.appendChild(el("dd", { text: String(value) }));
  }

  function table(head, rows) {
    var t = el("table", { "class": "dekt-table" });
    t.appendChild(el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { text: h }); }))]));
    t.appendChild(el("tbody", {}, rows.map(function (r) { return el("tr", {}, r.map(function (c) { return el("td", { text: c }); })); })));
    return t;
  }

  var current = null;

  function show(state, build) {
    var box = document.getElementById("dekt-result");
    box.hidden = false;
    box.setAttribute("data-state", state);
    box.textContent = "";
    build(box);
    document.getElementById("dekt-pdf-check").hidden = state !== "genuine";
  }

  /* What the record says of the transcript now; every word of it comes from the record the code decrypted. */
  function statusNote(r) {
    if (r.status === "superseded") {
      var p = el("p", { "class": "dekt-status", "data-status": "superseded",
        text: "这份成绩单是真实的，签发于 " + r.issue_date + "；该生此后于 " + r.superseded_on +
              " 签发了更新的成绩单（学分记录有变动），如需最新情况请向学生索取新的成绩单。" +
              " (Genuine, issued on " + r.issue_date + "; a newer one was issued on " + r.superseded_on + ".)" });
      var box = el("div", {}, [p]);
      if (r.revoked_items && r.revoked_items.length) {
        box.appendChild(el("p", { "class": "dekt-status", "data-status": "revoked-items",
          text: "其中以下条目此后已被撤销 (items on it revoked since): " + r.revoked_items.join("、") }));
      }
      return box;
    }
    if (r.status === "withdrawn") {
      return el("p", { "class": "dekt-status", "data-status": "withdrawn", text: "该生已不在名册中，本校不再为其签发成绩单。 (The student is no longer on the roster.)" });
    }
    return el("p", { "class": "dekt-status", "data-status": "current", text: "这是该生目前最新的成绩单。 (This is the student's current transcript.)" });
  }

  function showRevoked(code, r) {
    current = null;
    show("revoked", function (box) {
      box.appendChild(el("h3", {}, [el("span", { "class": "bad", text: "✗ 已撤销" }), " · Revoked"]));
      box.appendChild(el("p", { text: "验证码 " + code + " 对应的成绩单由" + (r.issuer || "本校") + "于 " + r.issue_date +
        " 签发，已于 " + r.revoked_on + " 撤销：" + (r.revoked_reason || "") + " (issued by the school, revoked on " + r.revoked_on + ")" }));
    });
  }

  function showRecord(code, r) {
    if (r.status === "revoked") return showRevoked(code, r);
    current = r;
    show("genuine", function (box) {
      box.appendChild(el("h3", {}, [el("span", { "class": "ok", text: "✓ 真实有效" }), " · Genuine transcript"]));
      box.appendChild(el("p", { text: "验证码 " + code + " 对应一份由" + (r.issuer || "本校") + "签发的第二课堂成绩单。请核对下列内容与您手中的成绩单一致。" }));
      box.appendChild(statusNote(r));
      var dl = el("dl");
      field(dl, "姓名 Name", r.name);
      field(dl, "学号 Student id", r.student_id);
      field(dl, "系部 Department", r.department);
      field(dl, "年级 Cohort", r.enrollment_year ? r.enrollment_year + " 级" : "");
      field(dl, "签发日期 Issued", r.issue_date);
      field(dl, "签发单位 Issuer", r.issuer);
      field(dl, "总学分 Total credits", r.total);
      field(dl, "毕业要求 Graduation requirements", r.graduation_met === true ? "已达到 met" : r.graduation_met === false ? "尚未达到 not yet met" : "");
      box.appendChild(dl);
      if (r.modules && r.modules.length) {
        box.appendChild(table(["模块 Module", "学分 Credits", "模块要求 Requirement"], r.modules.map(function (m) {
          return [m.name, String(m.credits), m.met ? "已达到" : "未达到"];
        })));
      }
      if (r.items && r.items.length) {
        box.appendChild(table(["日期", "活动", "学分", "认定"], r.items.map(function (it) {
          var c = it.certified;
          return [it.date, it.activity, String(it.credits) + (it.amended === "revokes" ? "（已撤销）" : it.counted === false ? "（未计入）" : ""),
                  c ? "#" + c.pr + (c.merged_at ? " · " + String(c.merged_at).slice(0, 10) : "") : ""];
        })));
      }
      if (r.pdf_sha256) {
        box.appendChild(el("p", { "class": "dekt-meta" }, ["PDF 文件指纹 SHA-256：", el("span", { "class": "dekt-hash", text: r.pdf_sha256 })]));
      }
    });
  }

  function verify(text) {
    var code = normalize(text);
    if (!code) {
      show("invalid", function (box) {
        box.appendChild(el("h3", {}, [el("span", { "class": "bad", text: "验证码格式不正确" }), " · Not a code"]));
        box.appendChild(el("p", { text: "验证码由 DK 和 16 个字母或数字组成，形如 DK-XXXX-XXXX-XXXX-XXXX。请对照成绩单重新输入。" }));
      });
      return Promise.resolve();
    }
    document.getElementById("dekt-code").value = code;
    if (!(window.crypto && crypto.subtle)) {
      show("error", function (box) {
        box.appendChild(el("p", { text: "浏览器不允许本页在不安全的连接上进行加密运算。请通过 HTTPS 打开本页。 (Open this page over HTTPS.)" }));
      });
      return Promise.resolve();
    }
    // The record the code opens, or null; the records sit beside the page, in verify/ ("" is the page's own folder).
    return sealed.open("", code).then(function (record) {
      if (record) return showRecord(code, record);
      current = null;
      show("unknown", function (box) {
        box.appendChild(el("h3", {}, [el("span", { "class": "bad", text: "✗ 未找到该验证码" }), " · No transcript has this code"]));
        box.appendChild(el("p", { text: "本校没有签发过验证码为 " + code + " 的成绩单。请核对输入；若验证码无误，这份成绩单不是本校签发的，或已被改动。" }));
      });
    }).catch(function (err) {
      show("error", function (box) {
        box.appendChild(el("p", { text: "暂时无法完成验证，请稍后重试。 (Verification failed: " + err.message + ")" }));
      });
    });
  }

  /* Where the first revision of a PDF may end: after its first "%%EOF" (and the end of line after it). A signed
     transcript is the unsigned one, byte for byte, with the institution's signature appended as an update. */
  function firstRevisionEnds(bytes) {
    var marker = [37, 37, 69, 79, 70], ends = [];
    for (var i = 0; i + marker.length <= bytes.length; i++) {
      var hit = true;
      for (var j = 0; j < marker.length; j++) if (bytes[i + j] !== marker[j]) { hit = false; break; }
      if (!hit) continue;
      var end = i + marker.length;
      if (end >= bytes.length) return [];
      ends.push(end);
      if (bytes[end] === 13 && bytes[end + 1] === 10) ends.push(end + 2);
      else if (bytes[end] === 10 || bytes[end] === 13) ends.push(end + 1);
      return ends;
    }
    return ends;
  }

  function checkPdf(file) {
    var box = document.getElementById("dekt-pdf-result");
    var want = current && current.pdf_sha256;
    return file.arrayBuffer().then(function (buf) {
      var bytes = new Uint8Array(buf);
      var parts = [bytes].concat(firstRevisionEnds(bytes).map(function (end) { return bytes.subarray(0, end); }));
      return Promise.all(parts.map(function (p) { return crypto.subtle.digest("SHA-256", p); })).then(function (sums) {
        return sums.map(sealed.hex);
      });
    }).then(function (sums) {
      var whole = sums[0] === want, signed = !whole && sums.slice(1).indexOf(want) >= 0;
      var state = whole ? "genuine" : signed ? "signed" : "invalid";
      box.hidden = false;
      box.setAttribute("data-state", state);
      box.textContent = "";
      var text = whole ? "✓ 文件与签发记录一致，未被改动。"
        : signed ? "✓ 文件中的成绩单与签发记录一致；其后附加了数字签名（请在 PDF 阅读器中查看签名是否属于本校）。"
        : "✗ 文件与签发记录不一致：它被改动过，或不是这份成绩单。";
      box.appendChild(el("p", {}, [el("span", { "class": state === "invalid" ? "bad" : "ok", text: text })]));
      box.appendChild(el("p", { "class": "dekt-meta" }, ["所选文件的 SHA-256：", el("span", { "class": "dekt-hash", text: sums[0] })]));
    });
  }

  var form = document.getElementById("dekt-verify");
  if (!form) return;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = document.getElementById("dekt-code").value;
    var url = new URL(window.location.href);
    url.search = "";
    url.hash = normalize(code) ? "code=" + normalize(code) : "";
    history.replaceState(null, "", url.toString());
    verify(code);
  });
  document.getElementById("dekt-pdf").addEventListener("change", function (ev) {
    if (ev.target.files && ev.target.files[0]) checkPdf(ev.target.files[0]);
  });
  /* Arriving from the QR code: ?code=… (or #code=…, which never reaches the server's log). */
  var given = sealed.givenCode();
  if (given) {
    document.getElementById("dekt-code").value = given;
    verify(given);
  }
  window.dektVerify = { normalize: normalize, verify: verify };
})();
