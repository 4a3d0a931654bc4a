from reports.charts import bar_chart
from reports.queries import Table


def test_bar_chart_scales_bars_to_the_largest_value_and_shortens_long_labels():
    table = Table(
        slug="t",
        title="Talks",
        description="",
        columns=["Series", "Talks"],
        rows=[["A series with a very long name indeed", 4], ["Short", 1], ["None", 0]],
    )

    chart = bar_chart(table, "Talks for each series.")

    assert [bar.width for bar in chart.bars] == [244.0, 61.0, 0.0]
    assert [bar.short_label for bar in chart.bars] == ["A series with a very long n…", "Short", "None"]
    assert chart.bars[0].label == "A series with a very long name indeed"
    assert (chart.width, chart.height) == (500, 78)


def test_bar_chart_is_left_out_for_a_table_without_a_chart_column():
    table = Table(slug="t", title="List", description="", columns=["Name"], rows=[["x"]], chart_column=None)
    assert bar_chart(table, "") is None
