"""A corpus report as a page saved from a government portal.

The article sits inside what a portal puts around it: a header with the
site's name and a search box, a navigation bar, breadcrumbs, a title and an
information line, share and print links, a related-articles list, a footer,
and scripts and styles. Its tables carry real ``rowspan``/``colspan`` (from
the spec's UP/LEFT marks), and their cells the markup editors leave in them.

Two page styles, alternating over the specs, so that a loader cannot lean on
one site's habits: a modern page (HTML5 sectioning elements, UTF-8, a cell's
text bare) and an old portal (the whole page laid out in nested tables,
opaque class names, GB2312 declared in an ``http-equiv`` meta, paragraphs
indented with ``&nbsp;``, each cell's text in ``<p><span>`` as Word's HTML
export writes it).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from .model import LEFT, UP, Report, Table

STYLES = ("modern", "old_portal")


def page_title(report: Report) -> str:
    """The report's own title: its first line that names a report or a form."""
    lines = [block for block in report.body if isinstance(block, str)]
    return next(
        (line for line in lines if "报告" in line or "自评表" in line or "報告" in line),
        lines[0] if lines else report.unit_name,
    )


def table_html(table: Table, old: bool) -> str:
    """A table with each merged cell written once, spanning what it covers."""
    rows = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, cell in enumerate(row):
            if not isinstance(cell, str):
                continue  # covered by a span
            right = c
            while right + 1 < table.width and row[right + 1] is LEFT:
                right += 1
            down = r
            while down + 1 < len(table.rows) and table.rows[down + 1][c] is UP:
                down += 1
            spans = ""
            if down > r:
                spans += f' rowspan="{down - r + 1}"'
            if right > c:
                spans += f' colspan="{right - c + 1}"'
            text = escape(cell)
            if old:
                inner = text or "&nbsp;"
                cells.append(
                    f"<td{spans} valign=top style='border:solid windowtext 1.0pt'>"
                    f"<p class=MsoNormal align=center><span style='font-size:10.5pt'>"
                    f"{inner}</span></p></td>"
                )
            else:
                cells.append(f"<td{spans}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if old:
        return (
            "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0"
            " style='border-collapse:collapse'>\n" + "\n".join(rows) + "\n</table>"
        )
    return '<table class="data">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>"


def _article(report: Report, old: bool) -> str:
    parts = []
    for block in report.body:
        if isinstance(block, Table):
            parts.append(table_html(block, old))
        elif old:
            parts.append(f"<p>&nbsp;&nbsp;&nbsp;&nbsp;{escape(block)}</p>")
        else:
            parts.append(f'<p style="text-indent:2em">{escape(block)}</p>')
    return "\n".join(parts)


_SECTIONS = ("首页", "政务公开", "政策文件", "财政预决算", "绩效管理", "互动交流", "办事服务")
_RELATED = ("2022年度部门整体支出绩效自评报告", "2023年度部门预算公开", "2022年度部门决算公开")


def _links(names: tuple[str, ...], item: str = '<li><a href="#">{}</a></li>') -> str:
    return "".join(item.format(escape(name)) for name in names)


def modern_page(report: Report) -> str:
    site = escape(report.unit_name)
    title = escape(page_title(report))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}_{site}</title>
<link rel="stylesheet" href="/css/site.css">
<style>.data td {{ border: 1px solid #999; }} .visually-hidden {{ display: none; }}</style>
<script>window.dataLayer = []; function track() {{ return "访问统计"; }}</script>
</head>
<body>
<header class="site-header">
  <div class="brand"><img src="/img/logo.png" alt="网站标志">{site}门户网站</div>
  <form class="search" action="/search"><input name="q" placeholder="请输入关键词">
  <button type="submit">搜索</button></form>
</header>
<nav><ul>{_links(_SECTIONS)}</ul></nav>
<main>
  <div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="#">政务公开</a>
  &gt; <a href="#">绩效管理</a></div>
  <article>
    <h1>{title}</h1>
    <div class="meta">发布时间：2024-05-20 来源：{site} 字号：<a href="#">大</a>
    <a href="#">中</a> <a href="#">小</a></div>
    <div class="visually-hidden">本页内容由系统自动生成</div>
    <div class="article-body">
{_article(report, old=False)}
    </div>
    <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
  </article>
  <aside><h2>相关文章</h2><ul>{_links(_RELATED)}</ul></aside>
</main>
<noscript>您的浏览器未启用脚本</noscript>
<footer>
  <p>主办单位：{site} 承办单位：县政务服务数据管理局</p>
  <p>版权所有 © {site} 网站标识码：0000000000 备案号：某ICP备00000000号</p>
</footer>
<script>document.querySelector(".meta").append(" 浏览次数：128");</script>
</body>
</html>
"""


def old_portal_page(report: Report) -> str:
    site = escape(report.unit_name)
    title = escape(page_title(report))
    nav = _links(_SECTIONS, '<td class="d1"><a href="#">{}</a></td>')
    side = _links(_RELATED[:2] + ("通知公告", "机构设置", "领导信息"), '<a href="#">{}</a><br>')
    related = _links(_RELATED, '<tr><td>·<a href="#">{}</a></td></tr>')
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{title}</title>
<style type="text/css">.d1 {{ font-size: 14px }} .bt {{ font-size: 22px }}</style>
<script language="javascript" src="/js/common.js"></script>
<script language="javascript">function doZoom(size) {{ var x = "字号"; }}</script>
</head>
<body leftmargin=0 topmargin=0>
<!-- 顶部 -->
<table width=1000 border=0 cellspacing=0 cellpadding=0 align=center>
<tr><td class="t1"><img src="/images/banner.jpg" width=1000 height=120></td></tr>
<tr><td><table width=100% border=0 cellspacing=0 cellpadding=0><tr>{nav}</tr></table></td></tr>
</table>
<table width=1000 border=0 cellspacing=0 cellpadding=0 align=center>
<tr>
<td width=220 valign=top class="z1"><table width=100% border=0><tr><td class="lm">栏目导航</td></tr>
<tr><td>{side}</td></tr></table></td>
<td width=780 valign=top>
<table width=100% border=0 cellspacing=0 cellpadding=0>
<tr><td class="wz">您现在的位置：<a href="/">首页</a> &gt;&gt; <a href="#">财政资金</a></td></tr>
<tr><td class="bt" align=center>{title}</td></tr>
<tr><td align=center class="sj">{site}&nbsp;&nbsp;2024-05-20&nbsp;&nbsp;【字体：<a href="javascript:doZoom(16)">大</a>
<a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>】</td></tr>
<tr><td><div id="zoom">
{_article(report, old=True)}
</div></td></tr>
<tr><td align=right><a href="javascript:window.print()">【打印本页】</a>
<a href="javascript:window.close()">【关闭窗口】</a></td></tr>
<tr><td><table width=100%>{related}</table></td></tr>
</table>
</td>
</tr>
</table>
<!-- 底部 -->
<table width=1000 border=0 cellspacing=0 cellpadding=0 align=center class="d2">
<tr><td align=center>{site}&nbsp;版权所有&nbsp;&nbsp;地址：县政府大院&nbsp;&nbsp;电话：0000-0000000</td></tr>
<tr><td align=center>备案号：某ICP备00000000号&nbsp;&nbsp;<script>document.write("访问量")</script></td></tr>
</table>
</body>
</html>
"""


def render_html(report: Report, path: Path, style: str = "modern") -> None:
    """Write the report as a saved portal page in `style` (one of STYLES)."""
    if style == "modern":
        path.write_bytes(modern_page(report).encode("utf-8"))
    else:
        # Pages labelled GB2312 routinely hold GBK characters beyond it.
        path.write_bytes(old_portal_page(report).encode("gb18030"))
