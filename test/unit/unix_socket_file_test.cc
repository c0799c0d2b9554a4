#include "ssebridge/unix_socket_file.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ssebridge {
namespace {

// Real socket files in a private temp directory: the module's whole job is
// what the file system and connect() say about a path.
class UnixSocketFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ssebridge-unix-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/s.sock";
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
    unlink(path_.c_str());
    unlink((dir_ + "/plain").c_str());
    rmdir(dir_.c_str());
  }

  // Binds a socket at path_; listening or not decides whether it is live.
  int Bind(bool listening) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path_.c_str());
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0) << std::strerror(errno);
    if (listening) EXPECT_EQ(listen(fd, 4), 0);
    fds_.push_back(fd);
    return fd;
  }

  bool Exists(const std::string& path) const {
    struct stat info;
    return lstat(path.c_str(), &info) == 0;
  }

  std::string dir_;
  std::string path_;
  std::vector<int> fds_;
};

TEST_F(UnixSocketFileTest, AFreePathMayBeBound) {
  EXPECT_EQ(ClaimSocketPath(path_), "");
  EXPECT_FALSE(Exists(path_));
}

TEST_F(UnixSocketFileTest, AStaleSocketNobodyAcceptsOnIsRemoved) {
  int fd = Bind(false);
  close(fd);
  fds_.clear();
  ASSERT_TRUE(Exists(path_));
  EXPECT_EQ(ClaimSocketPath(path_), "");
  EXPECT_FALSE(Exists(path_));
}

TEST_F(UnixSocketFileTest, ALiveSocketIsNeverTaken) {
  Bind(true);
  std::string error = ClaimSocketPath(path_);
  EXPECT_NE(error, "");
  EXPECT_TRUE(Exists(path_));
}

TEST_F(UnixSocketFileTest, AFileThatIsNoSocketIsLeftAlone) {
  std::string plain = dir_ + "/plain";
  FILE* file = std::fopen(plain.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fclose(file);
  EXPECT_NE(ClaimSocketPath(plain), "");
  EXPECT_TRUE(Exists(plain));
}

TEST_F(UnixSocketFileTest, TheModeIsSetAndTheFileRemovedOnlyWhileItIsStillOurs) {
  Bind(true);
  SocketFileIdentity identity;
  ASSERT_EQ(SecureSocketFile(path_, true, 0600, -1, -1, &identity), "");
  EXPECT_TRUE(identity.known);
  struct stat info;
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  // A successor replaced the file (a rolling restart): ours is gone, theirs stays.
  ASSERT_EQ(unlink(path_.c_str()), 0);
  Bind(true);
  EXPECT_FALSE(RemoveSocketFileIfOurs(path_, identity));
  EXPECT_TRUE(Exists(path_));

  SocketFileIdentity successor;
  ASSERT_EQ(SecureSocketFile(path_, false, 0, -1, -1, &successor), "");
  EXPECT_TRUE(RemoveSocketFileIfOurs(path_, successor));
  EXPECT_FALSE(Exists(path_));
}

TEST_F(UnixSocketFileTest, NothingIsRemovedWithoutAKnownIdentity) {
  Bind(true);
  EXPECT_FALSE(RemoveSocketFileIfOurs(path_, SocketFileIdentity()));
  EXPECT_TRUE(Exists(path_));
}

}  // namespace
}  // namespace ssebridge
