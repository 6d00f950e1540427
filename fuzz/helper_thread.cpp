#include "helper_thread.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace fuzz {

namespace {

struct Helper {
  std::mutex mutex;
  std::condition_variable changed;
  const std::function<void()>* task = nullptr;
  bool done = false;

  Helper() {
    std::thread([this] { loop(); }).detach();
  }

  void loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [this] { return task != nullptr; });
      (*task)();
      task = nullptr;
      done = true;
      changed.notify_all();
    }
  }

  void run(const std::function<void()>& t) {
    std::unique_lock lock(mutex);
    task = &t;
    done = false;
    changed.notify_all();
    changed.wait(lock, [this] { return done; });
  }
};

}  // namespace

void run_on_helper(const std::function<void()>& task) {
  static Helper* helper = new Helper;  // never destroyed: the thread outlives every input
  helper->run(task);
}

}  // namespace fuzz
