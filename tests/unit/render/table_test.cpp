#include "render/table.hpp"

#include <gtest/gtest.h>

namespace kt::render {
namespace {

TEST(TableTest, AlignsColumnsAndLeavesTheLastUnpadded) {
    Table t({"A", "BB", "C"});
    t.add({"long", "x", "end"});
    EXPECT_EQ(t.str(), "A     BB  C\nlong  x   end\n");
}

TEST(TableTest, RowsBuiltCellByCellAlignWithRowsAddedWhole) {
    Table t({"PID", "FD", "RESULT"});
    t.reserve(2, 3, 16);
    t.cell(std::int64_t{31337});
    t.cell("queued");
    t.cell("changed");
    t.end_row();
    t.add({"7", "12", "-"});
    t.cell(std::int64_t{-1});
    t.cell(std::string_view(""));
    t.cell(std::string("gone"));
    t.end_row();
    EXPECT_EQ(t.str(), "PID    FD      RESULT\n31337  queued  changed\n7      12      -\n-1             gone\n");
}

}  // namespace
}  // namespace kt::render
