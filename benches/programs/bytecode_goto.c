// The bytecode interpreter of bytecode_vm.h with computed-goto dispatch.
#define DISPATCH_GOTO 1
#include "bytecode_vm.h"

int main(int argc, char **argv)
{
    return bytecode_main("bytecode_goto", argc, argv);
}
