"""Web pages (jixiao.read.html): the article's text and tables, whatever the
portal put around it; the corpus as saved pages reads like its text version;
a page LibreOffice wrote from a Word file reads as that file's tables."""

from __future__ import annotations

import codecs
import importlib.util
from pathlib import Path

import pytest
from conftest import ROOT, require
from corpus.build import gold, localise
from corpus.model import UP, Table
from corpus.render import render_text
from corpus.render_html import STYLES, render_html
from corpus.soffice import convert
from corpus.specs import SPECS

from jixiao.document import Grid, Loaded
from jixiao.evaluate import comparable
from jixiao.extract import from_tables
from jixiao.read import LoadError, load, sniff
from jixiao.structure import prepare

FIXTURES = ROOT / "tests" / "fixtures"


def page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def load_page(tmp_path: Path, data: bytes, name: str = "page.html") -> Loaded:
    path = tmp_path / name
    path.write_bytes(data)
    return load(path)


def assert_cells_at_offsets(loaded: Loaded) -> None:
    for grid in loaded.grids:
        assert grid.from_file
        for row in grid.rows:
            for cell in row:
                assert loaded.text[cell.start : cell.end] == cell.text
        assert grid.start == grid.rows[0][0].start and grid.end == grid.rows[-1][-1].end


def texts(grid: Grid) -> list[list[str]]:
    return [[cell.text for cell in row] for row in grid.rows]


# --- recognising a page -----------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html>\n<html><body>x</body></html>",
        b"<!doctype HTML><p>x",
        b"\xef\xbb\xbf  \n<!-- saved from url=(0042)http://example.invalid/ -->\n<HTML><BODY>x",
        b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">',
        b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><table><tr><td>x',
        b"<title>\xb1\xa8\xb8\xe6</title>\n<body>x</body>",
        codecs.BOM_UTF16_LE + "<html><body>报告</body></html>".encode("utf-16-le"),
    ],
    ids=["doctype", "lowercase", "bom-comment", "xhtml", "meta-table", "title-body", "utf16"],
)
def test_a_page_is_known_by_its_opening(data):
    assert sniff(data) == "html"


@pytest.mark.parametrize(
    "data",
    [
        "某县2024年度绩效自评报告\n<html><body>正文</body></html>\n".encode(),
        "<b>加粗</b>的说明文字，没有网页的标签。\n一、基本情况\n".encode(),
        b"<1> first point\n<2> second point\n",
    ],
    ids=["markup-later", "inline-tag-only", "angle-brackets"],
)
def test_text_with_markup_in_it_is_not_a_page(data):
    assert sniff(data) is None


def test_a_page_saved_as_txt_or_doc_is_read_as_a_page(tmp_path):
    data = page("<nav><a href='#'>首页</a><a href='#'>政务公开</a></nav><p>正文第一段。</p>")
    for name in ("page.txt", "page.doc", "page.htm"):
        loaded = load_page(tmp_path, data, name)
        assert loaded.format == "html"
        assert loaded.text == "正文第一段。\n"


# --- encodings ----------------------------------------------------------------------

# 堃 and 喆 are in GBK but not in GB2312, as names on real pages labelled GB2312 are.
GBK_TEXT = "王堃、李喆同志负责的项目资金执行率≥95%。"


@pytest.mark.parametrize(
    "head",
    [
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
        '<meta charset="GBK">',
        "<meta charset=gb18030>",
        "",  # no declaration: the bytes decide
        '<meta charset="iso-8859-1">',  # a server's default, untrue of a Chinese page
        '<meta charset="utf-8">',  # mislabelled: the bytes are not UTF-8
    ],
    ids=["gb2312-http-equiv", "gbk-meta", "gb18030", "undeclared", "latin1-label", "utf8-label"],
)
def test_a_gbk_page_reads_as_gbk(tmp_path, head):
    data = f"<html><head>{head}<title>标题</title></head><body><p>{GBK_TEXT}</p></body></html>"
    loaded = load_page(tmp_path, data.encode("gbk"))
    assert loaded.encoding == "gb18030"
    assert loaded.text == GBK_TEXT + "\n"


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8-sig"),
        (lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf-16-le"),
        (lambda text: text.encode("utf-16-be"), "utf-16-be"),
    ],
    ids=["utf-8-bom", "utf-16-le-bom", "utf-16-be"],
)
def test_a_byte_order_mark_or_utf16_outranks_the_declaration(tmp_path, encode, encoding):
    data = f'<html><head><meta charset="gb2312"></head><body><p>{GBK_TEXT}</p></body></html>'
    loaded = load_page(tmp_path, encode(data))
    assert loaded.encoding == encoding
    assert loaded.text == GBK_TEXT + "\n"


def test_big5_is_read_by_its_declaration(tmp_path):
    text = "預算執行率為百分之九十八。"
    data = f'<html><head><meta charset="big5"></head><body><p>{text}</p></body></html>'
    loaded = load_page(tmp_path, data.encode("big5"))
    assert loaded.encoding == "big5hkscs" and loaded.text == text + "\n"


# --- what a browser does not show -------------------------------------------------


def test_scripts_styles_and_hidden_things_never_become_text(tmp_path):
    body = """
    <style>.gone, .also-gone { display: none } p { color: red }</style>
    <script>var secret = "脚本一";</script>
    <p>第一段<script>document.write("脚本二")</script>正文。</p>
    <noscript>无脚本提示</noscript><template><p>模板内容</p></template>
    <!-- 注释内容 --><?php echo "处理指令"; ?>
    <p hidden>隐藏属性</p><p style="DISPLAY: none">隐藏样式</p>
    <p style="visibility:hidden">不可见</p><div class="gone">样式表隐藏</div>
    <span class="x also-gone">也隐藏</span><span aria-hidden="true">装饰</span>
    <form><input value="输入框"><select><option>选项</option></select>
    <textarea>文本框</textarea><button>按钮</button></form>
    <table><tr><td>单元格<script>alert("脚本三")</script></td><td>值</td></tr></table>
    <p>第二段正文。</p>
    """
    loaded = load_page(
        tmp_path, page(body, head="<title>页面标题</title><script>头部脚本</script>")
    )
    for unseen in (
        "脚本", "secret", "color", "display", "无脚本", "模板", "注释", "处理指令", "隐藏",
        "不可见", "装饰", "输入框", "选项", "文本框", "按钮", "页面标题", "alert",
    ):  # fmt: skip
        assert unseen not in loaded.text
    assert loaded.text == "第一段正文。\n单元格\t值\n第二段正文。\n"


def test_markup_in_the_page_is_never_rendered_only_read(tmp_path):
    loaded = load_page(tmp_path, page("<p>&lt;script&gt;alert(1)&lt;/script&gt; 是文字</p>"))
    assert loaded.text == "<script>alert(1)</script> 是文字\n"


# --- the article, not the site ----------------------------------------------------------

ARTICLE = (
    "一、项目基本情况",
    (
        "本项目全年预算120.00万元，实际支出116.40万元，预算执行率97.00%，主要用于农村道路日常养护和"
        "安全隐患整治，全年完成养护里程126公里，整治隐患点位18处，群众出行条件明显改善。"
    ),
    "二、存在的问题",
    "部分路段养护频次不足，雨季水毁修复不够及时，下一年度将加强巡查并提前储备应急物资。",
)
SECTIONS = ("首页", "政务公开", "政策文件", "财政预决算", "互动交流")


def links(words, item="<li><a href='#'>{}</a></li>"):
    return "".join(item.format(word) for word in words)


SEMANTIC = f"""
<header><img src="logo.png" alt="标志">某县人民政府门户网站<form><input name="q"></form></header>
<nav><ul>{links(SECTIONS)}</ul></nav>
<main>
  <div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="#">政务公开</a></div>
  <article>
    <header><h1>某县交通运输局2024年度项目支出绩效自评报告</h1></header>
    <div class="info">发布时间：2024-05-20 来源：县交通运输局</div>
    <div>{"".join(f"<p>{p}</p>" for p in ARTICLE)}</div>
    <div class="share-box">分享到：<a href="#">微信</a><a href="#">微博</a></div>
  </article>
  <aside><h2>相关文章</h2><ul>{links(("2023年度绩效自评报告", "2024年度部门预算"))}</ul></aside>
</main>
<footer><p>版权所有：某县人民政府 备案号：某ICP备00000000号</p></footer>
"""

# Class names no list would know, and a title outside the article's block.
OPAQUE = f"""
<div class="k1"><div class="k2">某县人民政府</div><div class="k3">{links(SECTIONS, "<a href='#'>{}</a> ")}</div></div>
<div class="k4">您的位置：<a href="/">首页</a> &gt;&gt; <a href="#">财政资金</a></div>
<div class="k5">
  <h2 class="k6">某县交通运输局2024年度项目支出绩效自评报告</h2>
  <div class="k7">2024-05-20 县交通运输局 【<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
  <div class="k8">{"".join(f"<p>{p}</p>" for p in ARTICLE)}
  <p>分享：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></p></div>
  <div class="k9"><a href="#">【打印本页】</a> <a href="#">【关闭窗口】</a></div>
  <ul class="k10">{links(("上一篇：2023年度绩效自评报告", "下一篇：2024年度部门预算"))}</ul>
</div>
<div class="k11">主办：某县人民政府办公室 电话：0000-0000000</div>
"""


TITLED = OPAQUE.replace('<h2 class="k6">', '<div class="con-title">').replace("</h2>", "</div>")


@pytest.mark.parametrize(
    "body", [SEMANTIC, OPAQUE, TITLED], ids=["semantic", "opaque-classes", "title-class"]
)
def test_the_article_and_its_title_without_the_site_around_them(tmp_path, body):
    loaded = load_page(tmp_path, page(body))
    assert loaded.text == "\n".join(("某县交通运输局2024年度项目支出绩效自评报告", *ARTICLE)) + "\n"


def test_an_article_with_its_own_title_takes_no_heading_from_above(tmp_path):
    body = (
        "<div class='k1'><h1>某县人民政府</h1></div>"
        f"<div class='k2'><h1>报告标题</h1>{''.join(f'<p>{p}</p>' for p in ARTICLE)}</div>"
    )
    loaded = load_page(tmp_path, page(body))
    assert loaded.text == "\n".join(("报告标题", *ARTICLE)) + "\n"


def test_site_furniture_with_much_text_of_its_own_is_dropped_by_its_name(tmp_path):
    """A short article (a table, a line) on a page whose header and footer hold
    more text than it does, none of it in links."""
    notice = "本网站为某县人民政府主办的政务公开平台，所载信息仅供参考，转载请注明出处。" * 3
    body = (
        f"<header><p>{notice}</p></header>"
        f"<div id='siteInfo-banner'><p>{notice}</p></div>"
        "<div><p>单位：万元</p><table><tr><td>合计</td><td>12.50</td></tr></table></div>"
        f"<footer><p>{notice}</p></footer><div class='copyright'>{notice}</div>"
    )
    loaded = load_page(tmp_path, page(body))
    assert loaded.text == "单位：万元\n合计\t12.50\n"


def test_a_wrapper_named_like_furniture_that_holds_the_article_stays(tmp_path):
    body = f"<div class='nav-wrap'>{''.join(f'<p>{p}</p>' for p in ARTICLE)}</div>"
    assert load_page(tmp_path, page(body)).text == "\n".join(ARTICLE) + "\n"


def test_the_article_is_never_followed_past_a_table_of_figures(tmp_path):
    """A line of text holding most of the page's text is not the article
    when the table beside it is the report."""
    body = (
        f"<nav>{links(SECTIONS)}</nav><div><p>{ARTICLE[1]}</p>"
        "<table><tr><td>合计</td><td>12.50</td></tr></table></div>"
    )
    loaded = load_page(tmp_path, page(body))
    assert loaded.text == f"{ARTICLE[1]}\n合计\t12.50\n"


def test_a_page_of_only_an_article_is_read_whole(tmp_path):
    loaded = load_page(tmp_path, page("".join(f"<p>{p}</p>" for p in ARTICLE)))
    assert loaded.text == "\n".join(ARTICLE) + "\n"


# --- laying text out -------------------------------------------------------------------


def test_blocks_make_lines_and_white_space_collapses_as_a_browser_shows_it(tmp_path):
    body = (
        "<div>第一行<b>加粗</b>  <i>斜体</i>\n  续写</div>"
        "<p>&nbsp;&nbsp;两个不折叠的空格</p><p>　　全角缩进保留</p>"
        "<p>换行<br>之后<br><br>空一行</p><ul><li>甲</li><li>乙</li></ul>"
        "<h3>标题</h3><span>行内</span><a href='#'>链接</a><span>相连</span>"
        "<pre>预格式\n  保留\t制表</pre><p>   </p><div><div>嵌套块</div></div>"
        # Word's list numbers sit in conditional comments that browsers show.
        "<p class=MsoListParagraph><![if !supportLists]><span>一、<span>&nbsp;</span></span>"
        "<![endif]>部门概况<o:p></o:p></p>"
    )
    loaded = load_page(tmp_path, page(body))
    assert loaded.text == (
        "第一行加粗 斜体 续写\n  两个不折叠的空格\n　　全角缩进保留\n换行\n之后\n\n空一行\n"
        "甲\n乙\n标题\n行内链接相连\n预格式\n  保留\t制表\n嵌套块\n一、 部门概况\n"
    )


def test_text_without_any_block_markup_keeps_its_own_lines(tmp_path):
    """Text wrapped in tags (a .txt with markup in front) keeps the lines and
    tabs its author wrote: a browser would run them together."""
    data = "<html><script>alert('x')</script><b>加粗</b>\n一级指标\t分值\n产出指标\t10\n".encode()
    loaded = load_page(tmp_path, data, "report.txt")
    assert loaded.format == "html"
    assert loaded.text == "加粗\n一级指标\t分值\n产出指标\t10\n"


# --- tables ---------------------------------------------------------------------------

MERGED = """
<p>表3 绩效指标（单位：万元）</p>
<table border="1">
<caption>指标完成情况</caption>
<thead><tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th colspan="2">值</th></tr></thead>
<tbody>
<tr><td rowspan="3">产出指标</td><td rowspan="2">数量指标</td><td>道路里程</td><td>≥120<br>公里</td><td>126公里</td></tr>
<tr><td>隐患&nbsp;整治</td><td>≥15处</td><td>18处</td></tr>
<tr><td>质量指标</td><td><p>验收</p><p>合格率</p></td><td colspan="2">100%</td></tr>
<tr><td>效益指标</td><td>社会效益</td><td>出行<table><tr><td>时间</td><td>缩短</td></tr><tr><td>明显</td></tr></table></td><td>&nbsp;</td><td>是</td></tr>
<tr><td colspan="3">合计</td><td>20</td></tr>
</tbody>
</table>
<p>表后文字。</p>
"""


def test_rowspan_and_colspan_make_a_full_grid_with_cells_at_their_offsets(tmp_path):
    loaded = load_page(tmp_path, page(MERGED))
    (grid,) = loaded.grids
    assert texts(grid) == [
        ["一级指标", "二级指标", "三级指标", "值", "值"],
        ["产出指标", "数量指标", "道路里程", "≥120 公里", "126公里"],
        ["产出指标", "数量指标", "隐患 整治", "≥15处", "18处"],
        ["产出指标", "质量指标", "验收 合格率", "100%", "100%"],
        ["效益指标", "社会效益", "出行 时间 缩短 明显", "", "是"],
        ["合计", "合计", "合计", "20", ""],  # a row short of cells is filled out empty
    ]
    assert [[cell.merged_above for cell in row] for row in grid.rows][1:4] == [
        [False] * 5,
        [True, True, False, False, False],
        [True, False, False, False, False],
    ]
    assert_cells_at_offsets(loaded)
    assert loaded.text.startswith("表3 绩效指标（单位：万元）\n指标完成情况\n一级指标\t二级指标\t")
    assert loaded.text.endswith("合计\t合计\t合计\t20\t\n表后文字。\n")
    assert grid.caption == "表3 绩效指标（单位：万元）\n指标完成情况"
    assert loaded.text[grid.start : grid.end].count("\n") == len(grid.rows) - 1


def test_spans_past_the_table_and_rowspan_zero_stop_at_its_last_row(tmp_path):
    body = (
        "<table><tr><td rowspan='9'>甲</td><td>1</td></tr><tr><td>2</td></tr></table>"
        "<table><tr><td rowspan='0'>乙</td><td>1</td></tr><tr><td>2</td></tr>"
        "<tr><td>3</td></tr></table>"
    )
    first, second = load_page(tmp_path, page(body)).grids
    assert texts(first) == [["甲", "1"], ["甲", "2"]]
    assert texts(second) == [["乙", "1"], ["乙", "2"], ["乙", "3"]]


def test_a_row_with_no_cell_of_its_own_is_no_row(tmp_path):
    """A row that cells from above span wholly adds nothing a reader sees."""
    body = (
        "<table><tr><td rowspan='2'>甲</td><td rowspan='2'>1</td></tr><tr></tr>"
        "<tr><td>乙</td><td>2</td></tr></table>"
    )
    (grid,) = load_page(tmp_path, page(body)).grids
    assert texts(grid) == [["甲", "1"], ["乙", "2"]]


def test_spans_that_would_fill_millions_of_cells_are_a_clear_error(tmp_path):
    rows = "<tr><td>乙</td><td colspan='1000'>甲</td></tr>" * 1000
    with pytest.raises(LoadError, match="merged cells span more than"):
        load_page(tmp_path, page(f"<p>说明</p><table>{rows}</table>"))


def test_a_table_that_lays_out_the_page_is_read_as_its_blocks(tmp_path):
    article = "".join(f"<p>{p}</p>" for p in ARTICLE * 4)
    body = (
        f"<table><tr><td>{links(SECTIONS, '<a href=#>{}</a><br>')}</td>"
        f"<td><table><tr><td>报告标题</td></tr><tr><td>{article}"
        "<table><tr><td>项目</td><td>金额</td></tr><tr><td>合计</td><td>12.50</td></tr></table>"
        "</td></tr></table></td></tr></table>"
    )
    loaded = load_page(tmp_path, page(body))
    assert loaded.text.startswith(ARTICLE[0] + "\n")  # neither links nor a short title row
    assert [texts(grid) for grid in loaded.grids] == [[["项目", "金额"], ["合计", "12.50"]]]
    assert_cells_at_offsets(loaded)


# --- pages that are not a report ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<img src='scan1.jpg'><img src='scan2.jpg'>",
        "<div id='app'></div><script>fetch('/api/article')</script>",
        "<iframe src='content.html'></iframe>",
    ],
    ids=["empty-body", "images-only", "script-built", "frame"],
)
def test_a_page_without_article_text_is_a_clear_error(tmp_path, body):
    with pytest.raises(LoadError) as caught:
        load_page(tmp_path, page(body))
    assert "no article text" in caught.value.problem
    assert "save it as a complete page or print it to PDF" in caught.value.hint
    assert str(caught.value).startswith(str(tmp_path / "page.html") + ": ")


# --- the corpus as saved pages --------------------------------------------------------------


def comparable_rows(record: dict) -> list[tuple]:
    keys = ("level1", "level2", "level3", "target", "actual", "weight", "score")
    return sorted(
        tuple(str(comparable(row.get(key))) for key in keys) for row in record["indicators"]
    )


def figures(record: dict) -> tuple[dict, list[tuple]]:
    keys = ("name", "budget", "actual", "initial_budget", "execution_rate", "self_score")
    budget = {name: comparable(fact) for name, fact in record["budget"].items()}
    projects = sorted(
        tuple(str(comparable(p.get(key))) for key in keys) for p in record["projects"]
    )
    return budget, projects


def record_of(path: Path) -> tuple[dict, Loaded]:
    prepared = prepare(path)
    return from_tables(prepared).model_dump(mode="json"), load(path)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_a_corpus_report_as_a_saved_page_reads_like_its_text(tmp_path, spec, style):
    """The property: the page gives the indicator rows and the budget and
    project figures the text version gives, which are the gold's."""
    report = localise(spec())
    html_path, text_path = tmp_path / f"{report.key}.html", tmp_path / f"{report.key}.txt"
    render_html(report, html_path, style)
    text_path.write_text(render_text(report, "tab_rows"), encoding="utf-8")
    html_record, loaded = record_of(html_path)
    text_record, _ = record_of(text_path)
    assert loaded.format == "html"
    assert loaded.encoding == ("utf-8" if style == "modern" else "gb18030")
    tables = [block for block in report.body if isinstance(block, Table)]
    assert len(loaded.grids) == len(tables)
    if any(UP in row for table in tables for row in table.rows):
        assert any(cell.merged_above for grid in loaded.grids for row in grid.rows for cell in row)
    assert_cells_at_offsets(loaded)
    for furniture in ("当前位置", "您现在的位置", "版权所有", "分享到", "相关文章", "栏目导航",
                      "打印本页", "浏览次数", "访问", "政务公开"):  # fmt: skip
        assert furniture not in loaded.text
    assert comparable_rows(html_record) == comparable_rows(text_record)
    assert figures(html_record) == figures(text_record)
    expected = gold(report, "tab_rows")
    found = {row[2] for row in comparable_rows(html_record)}
    missing = [
        row["level3"] for row in expected["indicators"] if comparable(row["level3"]) not in found
    ]
    assert len(missing) <= 0.05 * len(expected["indicators"]), missing


# --- a page another program wrote -----------------------------------------------------------


def _maker(name: str = "make_html_fixture"):
    spec = importlib.util.spec_from_file_location(name, FIXTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_libreoffice_page(path: Path) -> None:
    maker = _maker()
    loaded = load(path)
    assert loaded.format == "html"
    assert loaded.text.startswith(maker.TITLE + "\n")
    assert_cells_at_offsets(loaded)
    money, indicators = loaded.grids
    assert texts(money)[1] == list(maker.BUDGET)
    assert indicators.caption.endswith("表2 绩效指标完成情况")
    assert [cell.merged_above for cell in indicators.rows[2]][:3] == [True, True, False]
    record = from_tables(prepare(path)).model_dump(mode="json")
    assert [
        (row["level1"], row["level2"], row["level3"], row["target"]["raw"], row["actual"]["raw"])
        for row in record["indicators"]
    ] == [row[:5] for row in maker.INDICATORS]
    assert [(row["weight"]["value"], row["score"]["value"]) for row in record["indicators"]] == [
        (float(row[5]), float(row[6])) for row in maker.INDICATORS
    ]
    assert record["budget"]["full_year_budget"]["raw"] == maker.BUDGET[2]


def test_a_page_libreoffice_wrote_from_a_word_file_reads_as_its_tables():
    check_libreoffice_page(FIXTURES / "libreoffice_report.html")


def test_the_libreoffice_fixture_can_be_made_again(tmp_path):
    require("soffice", "apt-get install libreoffice-writer-nogui")
    maker = _maker()
    source = tmp_path / "report.docx"
    maker.write_docx(source)
    (made,) = convert([source], "html", tmp_path)
    check_libreoffice_page(made)


# --- a page saved as one file (MHTML) ---------------------------------------------------------


def word_archive(html: str) -> bytes:
    """A page as Word's "single file web page" writes it: a MIME archive whose
    page is quoted-printable, labelled GB2312 in its part header (and holding
    GBK characters beyond it, as such pages do)."""
    import quopri
    from email.mime.multipart import MIMEMultipart
    from email.mime.nonmultipart import MIMENonMultipart
    from email.mime.text import MIMEText

    archive = MIMEMultipart("related")
    archive["X-Document-Type"] = "Document"
    page = MIMENonMultipart("text", "html", charset="gb2312")
    page.set_payload(quopri.encodestring(html.encode("gbk")).decode("ascii"))
    page["Content-Transfer-Encoding"] = "quoted-printable"
    page["Content-Location"] = "file:///C:/report.htm"
    archive.attach(page)
    archive.attach(MIMEText("p { margin: 0 }", "css"))
    return archive.as_bytes()


def test_a_word_web_archive_named_doc_is_read_by_its_part_header(tmp_path):
    # No meta in the page: the charset is the part header's alone.
    html = f"<html><body><p>{GBK_TEXT}</p><table><tr><td>合计</td><td>12.50</td></tr></table>"
    data = word_archive(html + "</body></html>")
    assert sniff(data) == "html"
    loaded = load_page(tmp_path, data, "report.doc")
    assert loaded.encoding == "gb18030"
    assert loaded.text == f"{GBK_TEXT}\n合计\t12.50\n"


def test_a_web_archive_without_a_page_is_a_clear_error(tmp_path):
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    archive = MIMEMultipart("related")
    archive.attach(MIMEText("p { margin: 0 }", "css"))
    with pytest.raises(LoadError, match="web archive"):
        load_page(tmp_path, archive.as_bytes(), "page.mht")


def test_mail_that_is_not_a_web_archive_is_not_a_page():
    assert sniff(b"MIME-Version: 1.0\nContent-Type: text/plain\n\nhello\n") is None
    assert sniff(b"Subject: x\n\nContent-Type: multipart/related\nMIME-Version: 1.0\n") is None


def check_chromium_archive(path: Path, tmp_path: Path) -> None:
    maker = _maker("make_mhtml_fixture")
    loaded = load(path)
    assert loaded.format == "html"
    assert "访问量" not in loaded.text and "版权所有" not in loaded.text
    assert_cells_at_offsets(loaded)
    text_path = tmp_path / "report.txt"
    text_path.write_text(render_text(localise(maker.SPEC()), "tab_rows"), encoding="utf-8")
    html_record, _ = record_of(path)
    text_record, _ = record_of(text_path)
    assert html_record["indicators"] and comparable_rows(html_record) == comparable_rows(
        text_record
    )
    assert figures(html_record) == figures(text_record)


def test_a_page_chromium_saved_as_a_web_archive_reads_like_its_text(tmp_path):
    check_chromium_archive(FIXTURES / "chromium_report.mht", tmp_path)


def test_the_chromium_fixture_can_be_made_again(tmp_path):
    require(Path("/usr/bin/chromium"), "apt-get install chromium")
    maker = _maker("make_mhtml_fixture")
    page = tmp_path / "report.html"
    render_html(localise(maker.SPEC()), page, maker.STYLE)
    maker.save_archive(page, tmp_path / "report.mht")
    check_chromium_archive(tmp_path / "report.mht", tmp_path)
