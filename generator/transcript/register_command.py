"""The core of ``dekt register``: append a build's transcripts (or one revocation) to the register, and sign it."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..diagnostics import DektError
from . import register as reg


def register(root: Path, args: argparse.Namespace) -> int:
    """``dekt register``: print what was appended; with ``--sign``, commit it signed. Return the exit code."""
    from ..custody import certified_files
    from ..review.report import parse_now
    from ..rules import load_rules_or_fail

    tz = ZoneInfo(load_rules_or_fail(root).school.timezone)
    today = (parse_now(args.now, str(tz)) if args.now else datetime.now(tz)).astimezone(tz).date()
    if args.revoke:
        if not (args.student and args.reason and args.reason.strip()):
            raise DektError("撤销成绩单需要 --student 与 --reason (a revocation needs --student and --reason)")
        files = [reg.revoke(root, args.revoke, args.student, today, args.reason)]
        message = (
            f"签发登记：撤销 {args.revoke} (Register: revoke {args.revoke})\n\n"
            f"Reason: {' '.join(args.reason.split())}\n"
        )
        print(f"已记入撤销 revocation recorded → {files[0]}")
    else:
        source = Path(args.source)
        source = source if source.is_absolute() else root / source
        added, revoked, files = reg.register_update(root, source, today, custody=certified_files(root))
        print(
            f"签发登记 register: 新增 {added} 份成绩单 transcripts added, {revoked} 份撤销 withdrawn"
            f" → {', '.join(files) or '无改动 nothing'}"
        )
        if not files:
            return 0
        head = reg.head_commit(root) or ""
        message = (
            f"签发登记：{added} 份成绩单 (Register: {added} transcripts issued at {head[:12]})\n\nRegisters: {head}\n"
        )
    if args.sign:
        commit = reg.commit_register(root, files, message, args.key)
        print(f"已签名提交 signed commit {commit[:12]}")
    else:
        print(
            "尚未提交：请以教务处密钥签名提交 "
            "(not committed yet: commit it signed with academic affairs' key, or use --sign)"
        )
    return 0
