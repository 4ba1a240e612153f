/* 我的第二课堂: a student's own record, opened in the browser with their personal access code.
 *
 * The records are sealed exactly as the verification records are (see dekt/site/sealed.py and dekt/access.py),
 * and found and opened by the same code, assets/javascripts/sealed.js (window.dektSealed): the code
 * (ME-XXXX-XXXX-XXXX-XXXX) names a record, the first 32 hex digits of SHA-256("dekt-verify/1 name\0" + code), kept
 * in a bucket me/<first k digits>.json (k from me/index.json); the record is AES-256-GCM encrypted under
 * HKDF-SHA256(code), the name as associated data. Without the code nothing can be found or read.
 * Everything shown is built with textContent: the record's texts are data, never markup. No inline script.
 */
(function () {
  "use strict";

  var sealed = window.dektSealed, el = sealed.el; // ../assets/javascripts/sealed.js, loaded before this file

  function text(v) { return v === null || v === undefined ? "" : String(v); }

  function table(id, head, rows, rowClass) {
    var t = el("table", { "class": "dekt-table", id: id });
    t.appendChild(el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { text: h }); }))]));
    t.appendChild(el("tbody", {}, rows.map(function (r) {
      return el("tr", rowClass ? { "class": rowClass } : {}, r.map(function (c) { return el("td", { text: text(c) }); }));
    })));
    return t;
  }

  function field(dl, label, value, id) {
    dl.appendChild(el("dt", { text: label }));
    dl.appendChild(el("dd", id ? { id: id, text: text(value) } : { text: text(value) }));
  }

  function show(state, build) {
    var box = document.getElementById("dekt-me-result");
    box.hidden = false;
    box.setAttribute("data-state", state);
    box.textContent = "";
    build(box);
  }

  function showRecord(r) {
    var l = r.ledger, s = l.student, names = {};
    (l.modules || []).forEach(function (m) { names[m.id] = m.name; });
    show("found", function (box) {
      box.appendChild(el("h2", { id: "dekt-me-name", text: s.name + "（" + s.id + "）" }));
      var dl = el("dl");
      field(dl, "系部 Department", s.department_name);
      field(dl, "班级 Class", s["class"]);
      field(dl, "年级 Cohort", s.enrollment_year + " 级");
      field(dl, "适用规则 Rules", l.rules_since + " 学年起的版本");
      field(dl, "总学分 Total credits", l.total, "dekt-me-total");
      field(dl, "毕业要求 Graduation", l.graduation_met ? "已达到 met" : "尚未达到 not yet met", "dekt-me-graduation");
      box.appendChild(dl);

      box.appendChild(el("h3", { text: "各模块 Modules" }));
      box.appendChild(table("dekt-me-modules", ["模块", "已得学分", "毕业最低要求", "是否达到"], (l.modules || []).map(function (m) {
        return [m.name, m.credits, m.required, m.met ? "已达到" : "未达到"];
      }), "dekt-me-module"));

      box.appendChild(el("h3", { text: "每一项 Every item" }));
      box.appendChild(table("dekt-me-items", ["日期", "活动", "模块", "学分", "依据的规则", "是否计入"], (l.items || []).map(function (it) {
        return [it.date, it.activity, names[it.module] || it.module, it.credits, it.rule,
                it.counted ? "计入" : "未计入：" + text(it.excluded_why)];
      }), "dekt-me-item"));

      box.appendChild(el("h3", { text: "结业 Completions" }));
      box.appendChild(table("dekt-me-completions", ["名称", "必修已修", "缺少必修", "选修积分", "状态"], (l.completions || []).map(function (c) {
        return [c.name, c.required_done.length + "/" + (c.required_done.length + c.required_missing.length),
                c.required_missing.join("、"), c.elective_points + "/" + c.min_elective_points,
                c.complete ? "已结业，" + c.credits + " 学分" : "未结业"];
      }), "dekt-me-completion"));

      box.appendChild(el("h3", { text: "还差什么 What is still missing" }));
      var gap = r.shortfall, lines = [];
      (gap.modules || []).forEach(function (m) { lines.push("毕业要求：" + m.name + "还差 " + m.missing + " 学分"); });
      if (gap.total && Number(gap.total) > 0) lines.push("毕业要求：总学分还差 " + gap.total + " 学分");
      (gap.completions || []).forEach(function (c) {
        var parts = [];
        if (c.required_missing.length) parts.push("缺少必修 " + c.required_missing.join("、"));
        if (Number(c.elective_points_missing) > 0) parts.push("选修积分还差 " + c.elective_points_missing);
        lines.push(c.name + "：" + (parts.join("；") || "未结业"));
      });
      if (!lines.length) lines.push("毕业要求与团校结业均已达到。");
      box.appendChild(el("ul", { id: "dekt-me-shortfall" }, lines.map(function (t) { return el("li", { text: t }); })));

      box.appendChild(el("h3", { text: "正在公示 On notice now" }));
      if (r.on_notice && r.on_notice.length) {
        box.appendChild(table("dekt-me-notice", ["批次", "活动", "日期", "类别", "学分", "公示截止"], r.on_notice.map(function (n) {
          return ["#" + n.pr, n.activity, n.date, n.category, n.credits, n.notice_end];
        }), "dekt-me-notice-item"));
      } else {
        box.appendChild(el("p", { id: "dekt-me-notice", text: "你目前没有正在公示的申报。" }));
      }

      box.appendChild(el("h3", { text: "有异议或需要更正 Objections and corrections" }));
      box.appendChild(el("p", { id: "dekt-me-object", text: r.how_to_object }));
      box.appendChild(el("p", { text: "已归档的记录有误时，请向本系部秘书提出更正申请：系部以更正（corrects）或撤销（revokes）记录报送，经审核、公示后生效，原记录保留并注明。" }));
    });
  }

  function openCode(typed) {
    var code = sealed.normalize(typed, "ME");
    if (!code) {
      show("invalid", function (box) {
        box.appendChild(el("p", { "class": "bad", text: "访问码格式不正确：由 ME 和 16 个字母或数字组成，形如 ME-XXXX-XXXX-XXXX-XXXX。" }));
      });
      return Promise.resolve();
    }
    document.getElementById("dekt-me-code").value = code;
    if (!(window.crypto && crypto.subtle)) {
      show("error", function (box) { box.appendChild(el("p", { text: "请通过 HTTPS 打开本页。 (Open this page over HTTPS.)" })); });
      return Promise.resolve();
    }
    // The record the code opens, or null; the records sit beside the page, in me/ ("" is the page's own folder).
    return sealed.open("", code).then(function (record) {
      if (record) return showRecord(record);
      show("unknown", function (box) {
        box.appendChild(el("p", { "class": "bad", text: "没有与这个访问码对应的记录。请核对输入；访问码补发后，旧访问码即失效。" }));
      });
    }).catch(function (err) {
      show("error", function (box) { box.appendChild(el("p", { text: "暂时无法打开记录，请稍后重试。 (" + err.message + ")" })); });
    });
  }

  var form = document.getElementById("dekt-me");
  if (!form) return;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var url = new URL(window.location.href);
    url.search = "";  // the code stays out of the address bar, the history and the server's log
    url.hash = "";
    history.replaceState(null, "", url.toString());
    openCode(document.getElementById("dekt-me-code").value);
  });
  /* From the QR on the slip: ?code=… (or #code=…); the address is cleaned once the code is read. */
  var given = sealed.givenCode();
  if (given) {
    var clean = new URL(window.location.href);
    clean.search = "";
    clean.hash = "";
    history.replaceState(null, "", clean.toString());
    document.getElementById("dekt-me-code").value = given;
    openCode(given);
  }
})();
