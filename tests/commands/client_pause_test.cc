// ClientPause (src/server/client_pause.h): which commands CLIENT PAUSE holds, until when, and
// that CLIENT UNPAUSE runs the waiters of held commands.
#include "server/client_pause.h"

#include <gtest/gtest.h>

namespace petacore::server {
namespace {

using Mode = ClientPause::Mode;

TEST(ClientPauseTest, NothingHeldWithoutAPause) {
  ClientPause pause;
  int64_t until = 0;
  EXPECT_FALSE(pause.Hold(true, 1000, &until, [] {}));
  EXPECT_FALSE(pause.Hold(false, 1000, &until, [] {}));
}

TEST(ClientPauseTest, WriteModeHoldsOnlyWrites) {
  ClientPause pause;
  pause.Pause(5000, Mode::kWrite);
  int64_t until = 0;
  EXPECT_FALSE(pause.Hold(false, 1000, &until, [] {}));
  EXPECT_TRUE(pause.Hold(true, 1000, &until, [] {}));
  EXPECT_EQ(until, 5000);
}

TEST(ClientPauseTest, AllModeHoldsEverythingUntilTheDeadline) {
  ClientPause pause;
  pause.Pause(5000, Mode::kAll);
  int64_t until = 0;
  EXPECT_TRUE(pause.Hold(false, 4999, &until, [] {}));
  EXPECT_FALSE(pause.Hold(false, 5000, &until, [] {}));  // over at the deadline
  EXPECT_FALSE(pause.Hold(true, 5001, &until, [] {}));
}

TEST(ClientPauseTest, ASecondPauseKeepsTheLaterDeadlineAndTheWiderMode) {
  ClientPause pause;
  pause.Pause(5000, Mode::kAll);
  pause.Pause(3000, Mode::kWrite);
  int64_t until = 0;
  EXPECT_TRUE(pause.Hold(false, 4000, &until, [] {}));
  EXPECT_EQ(until, 5000);
  pause.Pause(9000, Mode::kWrite);
  EXPECT_TRUE(pause.Hold(false, 8000, &until, [] {}));
  EXPECT_EQ(until, 9000);
}

TEST(ClientPauseTest, UnpauseRunsTheWaitersAndEndsThePause) {
  ClientPause pause;
  pause.Pause(5000, Mode::kWrite);
  int woken = 0;
  int64_t until = 0;
  ASSERT_TRUE(pause.Hold(true, 1000, &until, [&] { ++woken; }));
  ASSERT_TRUE(pause.Hold(true, 1000, &until, [&] { ++woken; }));
  pause.Unpause();
  EXPECT_EQ(woken, 2);
  EXPECT_FALSE(pause.Hold(true, 1000, &until, [&] { ++woken; }));
  pause.Unpause();  // no waiter left
  EXPECT_EQ(woken, 2);
}

}  // namespace
}  // namespace petacore::server
