#include "render/table.hpp"

#include <gtest/gtest.h>

namespace kt::render {
namespace {

TEST(TableTest, AlignsColumnsAndLeavesTheLastUnpadded) {
    Table t({"A", "BB", "C"});
    t.add({"long", "x", "end"});
    EXPECT_EQ(t.str(), "A     BB  C\nlong  x   end\n");
}

}  // namespace
}  // namespace kt::render
