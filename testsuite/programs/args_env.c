// The initial process stack as a program sees it: argc, every argv string (argv[0]
// only by its last path component, since the two runners are given the same path but
// it lives under a hash directory), the environment in order, getenv, and a few
// auxiliary-vector entries whose values are fixed for a riscv64 Linux process.
// Exit status: argc, so the harness also checks that the count arrived.
// run: => exit 1
// run: one => exit 2
// run: alpha beta gamma delta --flag=value -x 12345 => exit 8
// env: POLYVM_TEST_ONE=1
// env: POLYVM_TEST_GREETING=hello-world
// env: LANG=C
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv, char **envp)
{
    printf("argc = %d\n", argc);
    const char *slash = strrchr(argv[0], '/');
    printf("argv[0] ends in \"%s\"\n", slash ? slash + 1 : argv[0]);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = \"%s\" (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "not NULL");
    int n = 0;
    for (char **e = envp; *e != NULL; e++, n++)
        printf("envp[%d] = \"%s\"\n", n, *e);
    printf("environ == envp: %s\n", environ == envp ? "yes" : "no");
    const char *greeting = getenv("POLYVM_TEST_GREETING");
    printf("getenv(POLYVM_TEST_GREETING) = %s\n", greeting ? greeting : "(unset)");
    printf("getenv(POLYVM_NOT_SET) = %s\n", getenv("POLYVM_NOT_SET") ? "set" : "(unset)");
    printf("AT_PAGESZ = %lu\n", getauxval(AT_PAGESZ));
    printf("AT_SECURE = %lu\n", getauxval(AT_SECURE));
    printf("AT_UID == getuid: %s\n", getauxval(AT_UID) == (unsigned long)getuid() ? "yes" : "no");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    const char *exec_slash = execfn ? strrchr(execfn, '/') : NULL;
    printf("AT_EXECFN ends in \"%s\"\n", exec_slash ? exec_slash + 1 : "(none)");
    const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
    printf("AT_RANDOM present: %s\n", random != NULL ? "yes" : "no");
    return argc;
}
