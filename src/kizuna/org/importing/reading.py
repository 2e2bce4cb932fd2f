"""Turn an uploaded file into a header and numbered rows of cells, or explain why not.

HR files reach us from Excel on Japanese Windows (Shift_JIS/CP932 CSV), from Excel's
"CSV UTF-8" (with a BOM), from payroll systems (plain UTF-8) and as .xlsx workbooks. The
format is sniffed from the bytes rather than trusted from the file name, and every failure
becomes a file-level ``RowError`` so the user sees a sentence, never a traceback.

Decoding is deliberately strict: a file is read as UTF-8 or CP932 only if it decodes
without a single replacement character, because a wrongly decoded file would otherwise be
imported as mojibake names. EUC-JP and damaged UTF-8 happen to be valid CP932 byte
sequences surprisingly often, so those two are recognised explicitly and refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from kizuna.org.importing.types import RowError

# A cell is text, or a date when Excel stored a real date. Numbers are turned into text
# here (1001.0 -> "1001") because every numeric column we import is really an identifier
# or a small integer that the row parser validates itself.
Cell = str | dt.date

ZIP_MAGIC = b"PK\x03\x04"
# Compound File Binary: legacy .xls, and also password-protected .xlsx files.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Stop scanning a sheet after this many blank rows in a row: Excel keeps formatted but
# empty rows, and a workbook with a million of them should not take minutes to read.
MAX_BLANK_RUN = 10_000

# C0/C1 control characters other than tab, CR and LF never occur in a real CSV export;
# finding one means the bytes were decoded with the wrong codec or the file is binary.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# CP932 maps the stray bytes 0xA0 and 0xFD-0xFF (never produced by Shift_JIS text) to
# private-use code points; seeing them means the file is not Shift_JIS.
_CP932_STRAY = re.compile("[\uf8f0-\uf8f3]")


@dataclass
class Table:
    """The file's content: ``header`` is the first non-blank row; ``rows`` hold the data
    rows that are not blank, each with its row number as Excel would show it."""

    encoding: str
    header: list[str]
    header_row: int = 1
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)


class FileRejected(Exception):
    """The file cannot be read at all (wrong encoding, damaged, too many rows...)."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.code)
        self.error = error


def file_error(code: str, row: int | None = None, column: str = "", **params: object) -> RowError:
    return RowError(row, column, code, dict(params))


def read_table(content: bytes, filename: str, max_rows: int) -> Table:
    """Read a CSV or .xlsx file (sniffed from its bytes) into a ``Table``.

    Raises ``FileRejected`` when the file is empty, undecodable, damaged or has more than
    ``max_rows`` data rows.
    """
    if not content.strip():
        raise FileRejected(file_error("empty_file"))
    if content.startswith(ZIP_MAGIC):
        table = _read_xlsx(content, max_rows)
    elif content.startswith(OLE_MAGIC) or filename.lower().endswith((".xlsx", ".xls")):
        # An OLE container is an .xls or an encrypted .xlsx; a ".xlsx" that is not a zip
        # archive is damaged. Neither can be read, and both deserve the same advice.
        raise FileRejected(file_error("bad_xlsx"))
    else:
        text, encoding = decode_text(content)
        table = _read_csv(text, encoding, max_rows)
    if not table.header:
        raise FileRejected(file_error("empty_file"))
    if not table.rows:
        raise FileRejected(file_error("no_data_rows"))
    return table


# --- CSV ---------------------------------------------------------------------------------


def decode_text(content: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM) or CP932, strictly.

    Returns the text and the codec name used. Raises ``FileRejected`` with an
    ``encoding`` error (naming the likely encoding when one can be guessed) otherwise.
    """
    if content.startswith(UTF16_BOMS) or b"\x00" in content:
        # UTF-16/32 text (Excel's "Unicode text") or a binary file: NUL bytes everywhere.
        guess = guess_encoding(content)
        if guess.startswith("UTF-16") or guess.startswith("UTF-32"):
            raise FileRejected(file_error("encoding", guess=guess))
        raise FileRejected(file_error("binary_file"))
    if content.startswith(UTF8_BOM):
        try:
            return _checked(content.decode("utf-8-sig")), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileRejected(
                file_error("damaged_utf8", line=_line_of(content, exc.start))
            ) from None
    try:
        return _checked(content.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as utf8_error:
        first_bad = utf8_error.start
    if _mostly_utf8(content):
        raise FileRejected(file_error("damaged_utf8", line=_line_of(content, first_bad)))
    try:
        text = content.decode("cp932")
    except UnicodeDecodeError:
        raise FileRejected(_encoding_error(content)) from None
    if _CP932_STRAY.search(text) or _looks_like_euc_jp(content, text):
        raise FileRejected(_encoding_error(content))
    return _checked(text), "cp932"


def _checked(text: str) -> str:
    """Refuse text with control characters: ISO-2022-JP (ESC sequences, yet valid ASCII)
    or a binary file that happened to decode."""
    if _CONTROL.search(text):
        if "\x1b" in text:
            raise FileRejected(file_error("encoding", guess="ISO-2022-JP"))
        raise FileRejected(file_error("binary_file"))
    return text


def _line_of(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def _mostly_utf8(content: bytes) -> bool:
    """A UTF-8 file with a few damaged bytes (a truncated copy, a bad edit) still decodes
    as CP932, into nonsense. Real Shift_JIS text is almost never valid UTF-8, so if nearly
    all non-ASCII characters decode as UTF-8 the file is damaged UTF-8, not Shift_JIS."""
    text = content.decode("utf-8", errors="replace")
    non_ascii = sum(1 for ch in text if ord(ch) > 0x7F)
    bad = text.count("\ufffd")
    return non_ascii > 0 and bad * 20 < non_ascii


def _japanese_score(text: str) -> int:
    """How much ``text`` looks like Japanese: full-width kana count double, because EUC-JP
    read as CP932 never produces them (their CP932 lead bytes 0x82/0x83 do not occur in
    EUC-JP), while it does produce stray kanji."""
    score = 0
    for ch in text:
        if "\u3040" <= ch <= "\u30ff":
            score += 2
        elif "\u4e00" <= ch <= "\u9fff":
            score += 1
    return score


def _looks_like_euc_jp(content: bytes, cp932_text: str) -> bool:
    """EUC-JP bytes are mostly valid CP932 (they decode to half-width katakana and odd
    kanji). Genuine Shift_JIS almost never decodes as EUC-JP (its lead bytes 0x81-0x9F
    are invalid there), so when both decode, the more Japanese-looking reading wins. A
    Shift_JIS file of nothing but ASCII and half-width katakana can lose this contest;
    refusing it (with advice to save as UTF-8) is better than importing mojibake."""
    try:
        euc_text = content.decode("euc_jp")
    except UnicodeDecodeError:
        return False
    return _japanese_score(euc_text) > _japanese_score(cp932_text)


def guess_encoding(content: bytes) -> str:
    """A human name for the file's likely encoding, for the error message ("" if none)."""
    if content.startswith(b"\xff\xfe\x00\x00") or content.startswith(b"\x00\x00\xfe\xff"):
        return "UTF-32"
    if content.startswith(UTF16_BOMS):
        return "UTF-16"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(content[:65536]).best()
    except Exception:  # a guess for a message must never break the import
        return ""
    if best is None:
        return ""
    name = best.encoding.lower()
    known = {
        "euc_jp": "EUC-JP",
        "euc_jis_2004": "EUC-JP",
        "euc_jisx0213": "EUC-JP",
        "iso2022_jp": "ISO-2022-JP",
        "utf_16": "UTF-16",
        "utf_16_le": "UTF-16",
        "utf_16_be": "UTF-16",
        "utf_32": "UTF-32",
    }
    return known.get(name, name.upper().replace("_", "-"))


def _encoding_error(content: bytes) -> RowError:
    guess = guess_encoding(content)
    # Naming UTF-8 or Shift_JIS as "the likely encoding" of a file that failed to decode
    # as either would only confuse; leave the guess out then.
    if guess in {"UTF-8", "CP932", "SHIFT-JIS", "SHIFT-JIS-2004", "ASCII"}:
        guess = ""
    return file_error("encoding", guess=guess) if guess else file_error("encoding_unknown")


def _read_csv(text: str, encoding: str, max_rows: int) -> Table:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    # strict: an unclosed quotation mark is an error instead of silently swallowing every
    # following row into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = Table(encoding=encoding, header=[])
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            cells: list[Cell] = [cell.strip() for cell in record]
            _add_row(table, number, cells, max_rows)
    except csv.Error:
        raise FileRejected(file_error("csv_syntax", row=number + 1)) from None
    return table


def _add_row(table: Table, number: int, cells: list[Cell], max_rows: int) -> None:
    """Append a row; blank rows are skipped (their numbers stay, so later rows keep the
    numbers the user sees) and the first non-blank row becomes the header. Reading stops
    with ``too_many_rows`` as soon as the limit is passed, before the rest is parsed."""
    if all(cell == "" for cell in cells):
        return
    if not table.header:
        table.header = [str(cell).lstrip("\ufeff").strip() for cell in cells]
        table.header_row = number
        return
    if len(table.rows) >= max_rows:
        raise FileRejected(file_error("too_many_rows", limit=max_rows))
    table.rows.append((number, cells))


# --- Excel -------------------------------------------------------------------------------


def excel_cell(value: object) -> Cell:
    """Normalise an openpyxl value: dates stay dates, whole floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _read_xlsx(content: bytes, max_rows: int) -> Table:
    # openpyxl raises a zoo of exceptions (BadZipFile, KeyError, ValueError, XML errors)
    # on damaged or foreign files; any of them means "cannot read this workbook".
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise FileRejected(file_error("bad_xlsx")) from None
    try:
        if not workbook.worksheets:
            raise FileRejected(file_error("empty_file"))
        # The first sheet, not the active one: which sheet was active when the file was
        # last saved is invisible to the user, the first tab is not.
        sheet = workbook.worksheets[0]
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            # Stale dimensions written by some tools would truncate rows or columns.
            reset()
        table = Table(encoding="xlsx", header=[])
        blank_run = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [excel_cell(value) for value in values]
            if all(cell == "" for cell in cells):
                blank_run += 1
                if blank_run > MAX_BLANK_RUN:
                    break
                continue
            blank_run = 0
            _add_row(table, number, cells, max_rows)
        return table
    except FileRejected:
        raise
    except Exception:
        raise FileRejected(file_error("bad_xlsx")) from None
    finally:
        workbook.close()
