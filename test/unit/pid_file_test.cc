// Unit tests for the pid file (include/ssebridge/pid_file.h). Two PidFile
// objects in one process stand for two processes: flock locks belong to the
// open file description, so the second open conflicts with the first.
#include "ssebridge/pid_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace ssebridge {
namespace {

class PidFileTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ssebridge-pidfile-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/ssebridge.pid";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  std::string Contents() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string dir_;
  std::string path_;
};

TEST_F(PidFileTest, WritesThisProcessIdAndRemovesTheFile) {
  PidFile pid_file;
  ASSERT_EQ(pid_file.Lock(path_), "");
  ASSERT_EQ(pid_file.Write(), "");
  EXPECT_EQ(Contents(), std::to_string(getpid()) + "\n");
  pid_file.Remove();
  EXPECT_NE(access(path_.c_str(), F_OK), 0);
  EXPECT_FALSE(pid_file.locked());
}

TEST_F(PidFileTest, ASecondHolderIsRefusedWithTheFirstOnesPid) {
  PidFile first;
  ASSERT_EQ(first.Lock(path_), "");
  ASSERT_EQ(first.Write(), "");
  PidFile second;
  const std::string error = second.Lock(path_);
  EXPECT_NE(error.find("another running process (pid " + std::to_string(getpid()) + ")"), std::string::npos)
      << error;
  EXPECT_FALSE(second.locked());
  // The refused one leaves the file alone.
  EXPECT_EQ(Contents(), std::to_string(getpid()) + "\n");
  first.Remove();
  EXPECT_EQ(second.Lock(path_), "");
}

TEST_F(PidFileTest, AStaleFileWithoutALockIsTakenOver) {
  std::ofstream(path_) << "999999999\n";
  PidFile pid_file;
  ASSERT_EQ(pid_file.Lock(path_), "");
  ASSERT_EQ(pid_file.Write(), "");
  EXPECT_EQ(Contents(), std::to_string(getpid()) + "\n");
}

TEST_F(PidFileTest, AFileReplacedMeanwhileIsNotRemoved) {
  PidFile pid_file;
  ASSERT_EQ(pid_file.Lock(path_), "");
  ASSERT_EQ(unlink(path_.c_str()), 0);
  std::ofstream(path_) << "someone else's\n";
  pid_file.Remove();
  EXPECT_EQ(Contents(), "someone else's\n");
}

TEST_F(PidFileTest, AnUnwritableDirectoryIsAnError) {
  PidFile pid_file;
  EXPECT_NE(pid_file.Lock(dir_ + "/missing/ssebridge.pid").find("cannot open pid file"), std::string::npos);
}

}  // namespace
}  // namespace ssebridge
