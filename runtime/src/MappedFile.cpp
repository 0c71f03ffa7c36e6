//===- MappedFile.cpp - Read-only memory-mapped files ---------------------===//
//
// Part of the mlopt project: Transformer -> hybrid Mamba compiler toolkit.
//
//===----------------------------------------------------------------------===//

#include "mlrt/MappedFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlrt;

Expected<MappedFile> MappedFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error() << path << ": cannot open: " << std::strerror(errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    Error error = Error() << path << ": cannot stat: " << std::strerror(errno);
    ::close(fd);
    return error;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error() << path << ": not a regular file";
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<size_t>(st.st_size);
  if (file.size_ > 0) {
    void *p = mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      Error error = Error() << path << ": cannot map " << file.size_
                            << " bytes: " << std::strerror(errno);
      ::close(fd);
      return error;
    }
    file.data_ = static_cast<const uint8_t *>(p);
    file.owned_ = true;
  }
  ::close(fd);
  return file;
}

MappedFile MappedFile::view(std::string name, const uint8_t *data,
                            size_t size) {
  MappedFile file;
  file.path_ = std::move(name);
  file.data_ = data;
  file.size_ = size;
  return file;
}

MappedFile::MappedFile(MappedFile &&other) noexcept {
  *this = std::move(other);
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this != &other) {
    if (owned_)
      munmap(const_cast<uint8_t *>(data_), size_);
    path_ = std::move(other.path_);
    data_ = other.data_;
    size_ = other.size_;
    owned_ = other.owned_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.owned_ = false;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (owned_)
    munmap(const_cast<uint8_t *>(data_), size_);
}

Expected<std::string> mlrt::readFile(const std::string &path) {
  Expected<MappedFile> file = MappedFile::open(path);
  if (!file)
    return file.takeError();
  return std::string(file->text());
}

Status mlrt::writeFileAtomically(const std::string &path,
                                 std::string_view contents) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    return Error() << tmp << ": cannot create: " << std::strerror(errno);
  bool ok =
      std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
  ok = (std::fflush(f) == 0) && ok;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    Error error = Error() << path << ": cannot write: " << std::strerror(errno);
    std::remove(tmp.c_str());
    return error;
  }
  return Status::ok();
}
