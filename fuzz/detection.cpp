#include "detection.h"

#include <mimalloc.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fuzz {

namespace {

thread_local sigjmp_buf* armed = nullptr;
thread_local int last_error = 0;

void on_allocator_error(int err, void*) {
  if (armed) {
    last_error = err;
    sigjmp_buf* target = armed;
    armed = nullptr;
    siglongjmp(*target, 1);
  }
  fprintf(stderr, "fuzz: the allocator reported error %d on an operation the harness considers correct\n", err);
  abort();
}

}  // namespace

void install_error_hook() { mi_register_error(on_allocator_error, nullptr); }

bool detected_in_process(const std::function<void()>& op, int* err) {
  sigjmp_buf target;
  if (sigsetjmp(target, 0) == 0) {
    armed = &target;
    op();
    armed = nullptr;
    return false;
  }
  if (err) *err = last_error;
  return true;
}

ChildOutcome run_in_child(const std::function<void()>& op) {
  ChildOutcome outcome;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) abort();
  fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) abort();
  if (pid == 0) {
    // The detection must kill the child: no hook, and libFuzzer's SIGABRT
    // handler (which would record a crash from the child) is undone.
    mi_register_error(nullptr, nullptr);
    signal(SIGABRT, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    op();
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  const size_t at = text.find("shardguard: ");
  if (at != std::string::npos) outcome.line = text.substr(at, text.find('\n', at) - at);
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    outcome.detected = (sig == SIGABRT && !outcome.line.empty()) || sig == SIGSEGV;
  } else if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  }
  if (!outcome.detected && !text.empty()) fprintf(stderr, "fuzz: child said: %s\n", text.c_str());
  return outcome;
}

}  // namespace fuzz
