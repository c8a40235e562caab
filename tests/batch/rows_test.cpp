// Rows files are untrusted: each problem is a row's (with its line), never a crash.
#include "reel/batch/rows.hpp"

#include <gtest/gtest.h>

#include "reel/core/error.hpp"

namespace reel::batch {
namespace {

TEST(Csv, QuotesCommasNewlinesAndEscapedQuotesStayInTheirCell) {
  Rows r = parse_csv("sku,title\r\nA1,\"red, \"\"big\"\" mug\"\r\nA2,\"two\nlines\"\nA3,plain\n");
  ASSERT_TRUE(r.problems.empty());
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].cells.at("title"), "red, \"big\" mug");
  EXPECT_EQ(r.rows[0].line, 2);
  EXPECT_EQ(r.rows[1].cells.at("title"), "two\nlines");
  EXPECT_EQ(r.rows[1].line, 3);
  // The row after a cell with a line break starts one line later.
  EXPECT_EQ(r.rows[2].line, 5);
  EXPECT_EQ(r.rows[2].cells.at("sku"), "A3");
}

TEST(Csv, ABomIsSkippedAndBlankLinesAreNotRows) {
  Rows r = parse_csv("\xEF\xBB\xBFsku,n\n\nA,1\n\n");
  ASSERT_EQ(r.columns.size(), 2u);
  EXPECT_EQ(r.columns[0], "sku");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].line, 3);
}

TEST(Csv, RaggedAndMalformedRowsAreReportedWithTheirLinesAndOthersParse) {
  Rows r = parse_csv("a,b\n1,2\n3\n4,5,6\n\"x\"y,7\nun\"quoted,8\n9,10\n");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1].cells.at("a"), "9");
  ASSERT_EQ(r.problems.size(), 4u);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_NE(r.problems[0].message.find("has 1 cells; the header has 2"), std::string::npos);
  EXPECT_EQ(r.problems[1].line, 4);
  EXPECT_EQ(r.problems[2].line, 5);
  EXPECT_NE(r.problems[2].message.find("after the closing quote"), std::string::npos);
  EXPECT_EQ(r.problems[3].line, 6);
}

TEST(Csv, AnUnclosedQuoteIsReportedAtTheLineItOpened) {
  Rows r = parse_csv("a,b\n1,2\n3,\"open\n4,5\n");
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_NE(r.problems[0].message.find("not closed"), std::string::npos);
}

TEST(Csv, AOneMegabyteCellIsRefusedForItsRowOnly) {
  std::string big(1 << 20, 'x');
  Rows r = parse_csv("a,b\n1," + big + "\n2,\"" + big + "\"\n3,ok\n");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].cells.at("a"), "3");
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].line, 2);
  EXPECT_NE(r.problems[0].message.find("64 KiB"), std::string::npos);
  EXPECT_EQ(r.problems[1].line, 3);
}

TEST(Csv, WholeFileProblemsThrowNamingTheFile) {
  EXPECT_THROW(parse_csv("", "x.csv"), Error);
  EXPECT_THROW(parse_csv("a,a\n1,2\n", "x.csv"), Error);
  EXPECT_THROW(parse_csv("a,,b\n", "x.csv"), Error);
  try {
    parse_csv("\n\n", "x.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.csv"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("header"), std::string::npos);
  }
}

TEST(Csv, InvalidUtf8CellsAreRowProblems) {
  Rows r = parse_csv("a\n\xC3\x28\nok\n");
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 2);
}

TEST(Jsonl, OneObjectPerLineWithMalformedLinesReported) {
  Rows r = parse_jsonl(
      "{\"sku\":\"A\",\"n\":5,\"ok\":true}\n\nnot json\n[1]\n{\"x\":{\"y\":1}}\n"
      "{\"sku\":\"B\",\"n\":2.5}\n");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].cells.at("n"), "5");
  EXPECT_EQ(r.rows[0].cells.at("ok"), "true");
  EXPECT_EQ(r.rows[1].cells.at("n"), "2.5");
  EXPECT_EQ(r.rows[1].line, 6);
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_EQ(r.problems[1].line, 4);
  EXPECT_EQ(r.problems[2].line, 5);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"n", "ok", "sku"}));
}

TEST(Jsonl, ABigCellIsRefusedForItsLine) {
  std::string big(100 * 1024, 'x');
  Rows r = parse_jsonl("{\"a\":\"" + big + "\"}\n{\"a\":\"1\"}\n");
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].line, 1);
}

TEST(CsvCell, FormulaStartsAreEscapedAndSpecialCharactersQuoted) {
  EXPECT_EQ(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(csv_cell("+1"), "'+1");
  EXPECT_EQ(csv_cell("-2"), "'-2");
  EXPECT_EQ(csv_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_cell("plain"), "plain");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  // What csv_cell writes reads back as the same text (plus the escape).
  Rows r = parse_csv("v\n" + csv_cell("x,\"y\"\nz") + "\n");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].cells.at("v"), "x,\"y\"\nz");
}

}  // namespace
}  // namespace reel::batch
