"""One template, two outputs: Jinja2 renders the transcript's HTML (a preview), WeasyPrint turns it into a PDF/A-3.

Safety: Jinja2 escapes every value; WeasyPrint gets a URL fetcher that serves only the template folder and
the font files handed to it and refuses everything else (network, other files, data URLs), whatever a claim
contains. Reproducibility: the metadata dates are the issue date, the file identifier is a hash of the
content, and the fonts are the cached subsets, so the same data gives the same bytes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
from markupsafe import Markup

from .canonical import ATTACHMENT_NAME, canonical_json
from .fonts import FontFace

TEMPLATES = Path(__file__).resolve().parent / "templates"
_DIGITS = "〇一二三四五六七八九"


def cn_date(iso: str) -> str:
    """``2016-07-20`` → ``2016 年 7 月 20 日``, as the transcript prints a date."""
    y, m, d = iso.split("-")
    return f"{int(y)} 年 {int(m)} 月 {int(d)} 日"


def _cn_ordinal(n: int) -> str:
    if n <= 10:
        return "十" if n == 10 else _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def _css_string(value: object) -> Markup:
    """Text made safe inside a quoted CSS string in a <style> element: anything but letters becomes an escape."""
    out = []
    for ch in str(value):
        out.append(ch if ch.isalnum() or ch in " -_.·（）" else f"\\{ord(ch):x} ")
    return Markup("".join(out))


def _zh_only(text: str | None) -> str:
    """The Chinese half of a "中文 (English)" message."""
    return (text or "").split(" (", 1)[0]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment: templates from the package, autoescape on, undefined names are errors."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(cn_date=cn_date, cn_ordinal=_cn_ordinal, css_string=_css_string, zh_only=_zh_only)
    return env


@lru_cache(maxsize=1)
def stylesheet() -> str:
    return (TEMPLATES / "transcript.css").read_text(encoding="utf-8")


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as inline SVG (no image to fetch)."""
    import segno

    return segno.make(text, error="m", micro=False).svg_inline(scale=1, border=0, dark="#000")


def verify_target(code: str, url: str | None) -> str:
    """What the QR code holds: the site's verification page with the code, or the code alone."""
    return f"{url.rstrip('/')}/verify/?code={code}" if url else code


def html(data: dict, code: str, faces: list[FontFace], url: str | None = None) -> str:
    """The transcript as one self-contained HTML page (fonts by file URL, styles inline)."""
    families = list(dict.fromkeys(f.family for f in faces))
    family_list = Markup(", ".join(f'"{name}"' for name in families) + ", serif")
    return (
        environment()
        .get_template("transcript.html")
        .render(
            t=data,
            code=code,
            faces=faces,
            family_list=family_list,
            css=stylesheet(),
            qr_svg=Markup(qr_svg(verify_target(code, url))),
            verify_url=f"{url.rstrip('/')}/verify/" if url else None,
            attachment=ATTACHMENT_NAME,
            total_met=Decimal(data["total"]) >= Decimal(data["total_required"]),
        )
    )


class _Logs(logging.Handler):
    """Collects WeasyPrint's warnings so a render can fail on them instead of printing and going on."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def fetcher(allowed: list[Path]):
    """A WeasyPrint URL fetcher that serves only ``allowed`` files and folders, and records what it refused."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [p.resolve() for p in allowed]

    class SafeFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("file",), allow_redirects=False)
            self.refused: list[str] = []
            self.served: list[str] = []

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            path = (
                Path(unquote(parts.path)).resolve()
                if parts.scheme == "file" and parts.netloc in ("", "localhost")
                else None
            )
            if path is None or not any(path == r or path.is_relative_to(r) for r in roots) or not path.is_file():
                self.refused.append(url)
                raise ValueError(f"refused: {url}")
            self.served.append(url)
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": "application/octet-stream"})

    return SafeFetcher()


def _one_af_entry(document, pdf) -> None:
    """WeasyPrint lists an attachment twice in the catalog's /AF (from the name tree and the file spec): once is right.

    Also an empty interactive form (/AcroForm with no fields): the institution's signature, appended later as an
    incremental update, then only adds a field to it, which a reader's difference analysis (pyHanko's) recognises
    as form filling, nothing that changes the document."""
    import pydyf

    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
    form = pydyf.Dictionary({"Fields": pydyf.Array(), "SigFlags": 3})  # 3: meant to be signed, append-only
    pdf.add_object(form)
    pdf.catalog["AcroForm"] = form.reference


def pdf(
    data: dict, code: str, faces: list[FontFace], url: str | None = None, font_config=None, page_html: str | None = None
):
    """The transcript as PDF/A-3b bytes with the canonical JSON attached; also the fetcher (what it refused)."""
    import weasyprint

    page_html = page_html or html(data, code, faces, url)
    fetch = fetcher([TEMPLATES, *(f.path for f in faces)])
    issued = datetime.fromisoformat(data["issue_date"]).replace(tzinfo=UTC)
    attachment = weasyprint.Attachment(
        string=canonical_json(data),
        name=ATTACHMENT_NAME,
        description="第二课堂成绩单数据（规范 JSON）/ transcript data, canonical JSON",
        created=issued,
        modified=issued,
        relationship="Data",
        url_fetcher=fetch,
    )
    logs = _Logs()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(logs)
    try:
        document = weasyprint.HTML(string=page_html, base_url=TEMPLATES.as_uri() + "/", url_fetcher=fetch)
        body = document.write_pdf(
            pdf_variant="pdf/a-3b", attachments=[attachment], font_config=font_config, finisher=_one_af_entry
        )
    finally:
        logger.removeHandler(logs)
    return body, fetch, logs.messages
