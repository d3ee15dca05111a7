from conftest import ROOT

from jixiao.records import Budget, Fact, Report


def test_the_docs_name_every_record_field():
    record = (ROOT / "docs" / "record.md").read_text(encoding="utf-8")
    for name in [*Report.model_fields, *Fact.model_fields]:
        assert f"`{name}`" in record, name
    docs = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md"))
    for name in Budget.model_fields:
        assert f"`{name}`" in docs, name
