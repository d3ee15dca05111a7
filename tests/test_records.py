from conftest import ROOT

from jixiao.records import Budget, Fact, Report


def test_readme_names_every_record_field():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The record") :]
    for name in [*Report.model_fields, *Fact.model_fields]:
        assert f"`{name}`" in section, name
    for name in Budget.model_fields:
        assert f"`{name}`" in readme, name
