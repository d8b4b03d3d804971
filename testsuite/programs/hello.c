// The smallest libc program: one line of output and a zero exit status. The first
// program to get running in a new user-mode emulator.
#include <stdio.h>

int main(void)
{
    puts("Hello from riscv64!");
    return 0;
}
