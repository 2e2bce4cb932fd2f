"""(placeholder: implemented by the import engine work)"""

from kizuna.org.importing.types import RowError


def message(error: RowError) -> str:
    return error.code
