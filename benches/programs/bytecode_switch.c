// The bytecode interpreter of bytecode_vm.h with `switch` dispatch.
#define DISPATCH_GOTO 0
#include "bytecode_vm.h"

int main(int argc, char **argv)
{
    return bytecode_main("bytecode_switch", argc, argv);
}
