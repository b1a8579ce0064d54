#include "core/text/number_parse.hpp"

#include <gtest/gtest.h>

namespace kt {
namespace {

TEST(NumberParseTest, WholeNumbersArePlainDecimalDigitsInRange) {
    EXPECT_EQ(parse_whole_number("42", 1, 100).value(), 42u);
    EXPECT_EQ(parse_whole_number("0", 0, 0).value(), 0u);
    EXPECT_EQ(parse_whole_number("4294967295", 0, 4294967295).value(), 4294967295u);
}

TEST(NumberParseTest, WholeNumbersRefuseSignsHexExponentsAndFractions) {
    for (const char* t : {"-5", "+5", "0x10", "1e3", "1.5", " 5", "5 ", "", "nan", "inf", "abc"}) {
        auto r = parse_whole_number(t, 0, 100000);
        ASSERT_FALSE(r.has_value()) << t;
        EXPECT_NE(r.error().why.find("is not a whole number in 0..100000"), std::string::npos) << r.error().why;
    }
    EXPECT_EQ(parse_whole_number("-5", 1, 4194304).error().why, "-5 is not a whole number in 1..4194304");
    EXPECT_EQ(parse_whole_number("", 1, 2).error().why, "an empty value is not a whole number in 1..2");
}

TEST(NumberParseTest, WholeNumbersOutOfRangeSayTheRange) {
    EXPECT_EQ(parse_whole_number("0", 1, 86400).error().why, "0 is out of range 1..86400");
    EXPECT_EQ(parse_whole_number("99999999999999999999999", 1, 9).error().why,
              "99999999999999999999999 is out of range 1..9");
}

TEST(NumberParseTest, DecimalsTakeAFractionButNoNanInfinitySignOrExponent) {
    EXPECT_DOUBLE_EQ(parse_decimal("62.5", 0, 100).value(), 62.5);
    EXPECT_DOUBLE_EQ(parse_decimal("100", 0, 100).value(), 100.0);
    for (const char* t : {"nan", "NaN", "inf", "-0", "-1", "1e1", "0x10", ".5", "5.", "", "1.2.3"}) {
        auto r = parse_decimal(t, 0, 100);
        ASSERT_FALSE(r.has_value()) << t;
        EXPECT_NE(r.error().why.find("is not a number in 0..100"), std::string::npos) << r.error().why;
    }
    EXPECT_EQ(parse_decimal("150", 0, 100).error().why, "150 is out of range 0..100");
}

}  // namespace
}  // namespace kt
