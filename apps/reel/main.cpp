// reel command-line interface. Subcommands are in cli_*.cpp files.
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--version") {
    std::puts("reel 0.1.0");
    return 0;
  }
  std::fputs("usage: reel <command> ...\n", stderr);
  return 2;
}
