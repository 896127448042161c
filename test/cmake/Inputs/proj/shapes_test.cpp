#include "shapes.h"
#include <gtest/gtest.h>

TEST(Shapes, Square) { EXPECT_EQ(square(4), 16); }

TEST(Shapes, Circle) { EXPECT_EQ(circle(1), 3); }
