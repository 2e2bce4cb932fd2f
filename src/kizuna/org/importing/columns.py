"""(placeholder: implemented by the import engine work)"""


def preview_columns(kind: str) -> list[tuple[str, str]]:
    return []


def template_csv(kind: str, language: str) -> str:
    return ""
