// Ways a process ends and the status its parent sees: returning from main, exit()
// (which runs atexit handlers and flushes stdio), _exit() (which does neither), exit
// statuses above 255 (only the low 8 bits survive), and abort() (death by SIGABRT).
//   exitcode return N | exit N | _exit N | abort
// Exit status: as requested; 2 for a usage error.
// run: return 0 => exit 0
// run: return 3 => exit 3
// run: exit 42 => exit 42
// run: exit 255 => exit 255
// run: exit 256 => exit 0
// run: exit 1000 => exit 232
// run: _exit 77 => exit 77
// run: bogus => exit 2
// run: abort => signal 6
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void at_exit_handler(void)
{
    // Runs for return-from-main and exit(), not for _exit() or abort().
    printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: exitcode return|exit|_exit N | abort\n");
        return 2;
    }
    atexit(at_exit_handler);
    const char *how = argv[1];
    int code = argc == 3 ? atoi(argv[2]) : 0;
    // No newline: the text is still in stdio's buffer when the process ends, so it
    // shows up only if the exit path flushes.
    printf("exiting via %s with %d", how, code);
    if (strcmp(how, "return") == 0)
        return code;
    if (strcmp(how, "exit") == 0)
        exit(code);
    if (strcmp(how, "_exit") == 0)
        _exit(code);
    if (strcmp(how, "abort") == 0) {
        fflush(stdout);
        abort();
    }
    printf("\n");
    fprintf(stderr, "exitcode: unknown way to exit: %s\n", how);
    return 2;
}
