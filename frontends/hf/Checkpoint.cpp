//===- Checkpoint.cpp - The safetensors files of a checkpoint -------------===//

#include "frontends/hf/Checkpoint.h"

#include "frontends/hf/Diagnostics.h"
#include "frontends/hf/JsonFile.h"

#include <set>
#include <sys/stat.h>

using namespace lmc::hf;
using json = nlohmann::json;

namespace {
bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string parentDirectory(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// Shards must sit next to the index: no separators, no "." or "..", and
/// no control characters (the name ends up in messages).
bool isPlainFileName(const std::string &name) {
  if (name.empty() || name == "." || name == "..")
    return false;
  for (unsigned char c : name)
    if (c == '/' || c < 0x20 || c == 0x7f)
      return false;
  return true;
}
} // namespace

const CheckpointTensor *Checkpoint::find(std::string_view name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &it->second;
}

bool Checkpoint::addFile(std::unique_ptr<SafeTensorsFile> file,
                         std::string &error) {
  for (const TensorInfo &t : file->tensors()) {
    auto [it, inserted] =
        byName.emplace(t.name, CheckpointTensor{file.get(), &t});
    if (!inserted) {
      error = file->path() + ": tensor " + quoteName(t.name) + " is also in " +
              it->second.file->path();
      return false;
    }
  }
  shardFiles.push_back(std::move(file));
  return true;
}

bool Checkpoint::openIndex(const std::string &indexFile,
                           const ReadOptions &options, std::string &error) {
  index = indexFile;
  std::string text;
  if (!readTextFile(indexFile, kMaxIndexFileBytes, text, error))
    return false;
  json root;
  if (!parseJsonText(text, indexFile, /*rejectDuplicateKeys=*/true, root,
                     error))
    return false;
  if (!root.is_object()) {
    error =
        indexFile + ": the index is " + jsonTypeName(root) + ", not an object";
    return false;
  }
  auto wm = root.find("weight_map");
  if (wm == root.end()) {
    error = indexFile + ": no 'weight_map'";
    return false;
  }
  if (!wm->is_object()) {
    error = indexFile + ": 'weight_map' is " + jsonTypeName(*wm) +
            ", not an object";
    return false;
  }
  if (wm->empty()) {
    error = indexFile + ": 'weight_map' is empty";
    return false;
  }
  std::map<std::string, std::string> shardOf; // tensor -> shard file name
  std::set<std::string> shardNames;
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    if (!it->is_string()) {
      error = indexFile + ": weight_map entry " + quoteName(it.key()) + " is " +
              jsonTypeName(*it) + ", not a file name";
      return false;
    }
    std::string shard = it->get<std::string>();
    if (!isPlainFileName(shard)) {
      error = indexFile + ": weight_map entry " + quoteName(it.key()) +
              " names " + quoteName(shard) +
              ", which is not a plain file name in the index's folder";
      return false;
    }
    shardOf.emplace(it.key(), shard);
    shardNames.insert(shard);
  }

  const std::string dir = parentDirectory(indexFile);
  for (const std::string &shard : shardNames) {
    auto file = SafeTensorsFile::open(dir + "/" + shard, error, options);
    if (!file)
      return false;
    // Every tensor of the shard must be listed, for this shard.
    for (const TensorInfo &t : file->tensors()) {
      auto listed = shardOf.find(t.name);
      if (listed == shardOf.end()) {
        error = indexFile + ": tensor " + quoteName(t.name) + " of shard " +
                quoteName(shard) + " is not in weight_map";
        return false;
      }
      if (listed->second != shard) {
        error = indexFile + ": weight_map puts tensor " + quoteName(t.name) +
                " in " + quoteName(listed->second) + ", but it is in " +
                quoteName(shard);
        return false;
      }
    }
    if (!addFile(std::move(file), error))
      return false;
  }
  // And every listed tensor must be where the index says.
  for (const auto &[name, shard] : shardOf)
    if (!byName.count(name)) {
      error = indexFile + ": weight_map puts tensor " + quoteName(name) +
              " in " + quoteName(shard) + ", which has no such tensor";
      return false;
    }
  return true;
}

std::unique_ptr<Checkpoint> Checkpoint::open(const std::string &path,
                                             std::string &error,
                                             const ReadOptions &options) {
  std::unique_ptr<Checkpoint> ckpt(new Checkpoint());
  std::string target = path;
  if (isDirectory(path)) {
    std::string indexFile = path + "/" + kIndexFileName;
    std::string single = path + "/" + kSingleFileName;
    // transformers looks for the single file first, then the index.
    if (exists(single))
      target = single;
    else if (exists(indexFile))
      target = indexFile;
    else {
      error = path + ": no " + kIndexFileName + " or " + kSingleFileName;
      return nullptr;
    }
  }
  if (endsWith(target, ".json")) {
    if (!ckpt->openIndex(target, options, error))
      return nullptr;
    return ckpt;
  }
  auto file = SafeTensorsFile::open(target, error, options);
  if (!file || !ckpt->addFile(std::move(file), error))
    return nullptr;
  return ckpt;
}
