// File I/O through the path given as argv[1]: create and write it with raw syscalls
// and with stdio, read it back in odd-sized pieces, seek (SEEK_SET/CUR/END, past the
// end to make a hole), check fstat/stat sizes, pread/pwrite, rename-free unlink, and
// confirm that opening the unlinked path fails with ENOENT.
// Exit status: 0 on success, 2 without a path argument, 1 + the number of failures
// otherwise.
// run: @TMPFILE@
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(const char *what, long got, long want)
{
    printf("%-30s %ld%s\n", what, got, got == want ? "" : "   FAIL");
    if (got != want)
        failures++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fileio PATH\n");
        return 2;
    }
    const char *path = argv[1];
    static unsigned char block[10000], back[10000];
    for (int i = 0; i < (int)sizeof block; i++)
        block[i] = (unsigned char)(i * 13 + (i >> 7));

    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    check("open for writing ok", fd >= 0, 1);
    if (fd < 0)
        return 1 + failures;
    check("write 10000", write(fd, block, sizeof block), 10000);
    check("write 5", write(fd, "tail\n", 5), 5);
    struct stat st;
    check("fstat ok", fstat(fd, &st), 0);
    check("fstat size", (long)st.st_size, 10005);
    check("regular file", S_ISREG(st.st_mode), 1);
    check("mode bits", (long)(st.st_mode & 0600), 0600);
    check("close", close(fd), 0);

    fd = open(path, O_RDWR);
    check("open for reading ok", fd >= 0, 1);
    if (fd < 0)
        return 1 + failures;
    // Read back in pieces that straddle the 4 KiB page boundary of the buffer.
    size_t got = 0;
    static const size_t pieces[] = {1, 7, 4089, 5000, 903};
    for (unsigned i = 0; i < sizeof pieces / sizeof pieces[0]; i++)
        got += (size_t)read(fd, back + got, pieces[i]);
    check("read pieces total", (long)got, 10000);
    check("contents match", memcmp(block, back, sizeof block) == 0, 1);
    char tail[16] = {0};
    check("read at tail", read(fd, tail, sizeof tail), 5);
    check("tail text", strcmp(tail, "tail\n") == 0, 1);
    check("read at eof", read(fd, tail, sizeof tail), 0);

    check("lseek SEEK_SET 100", lseek(fd, 100, SEEK_SET), 100);
    unsigned char b = 0;
    check("read 1 at 100", read(fd, &b, 1), 1);
    check("byte at 100", b, block[100]);
    check("lseek SEEK_CUR -51", lseek(fd, -51, SEEK_CUR), 50);
    check("read 1 at 50", read(fd, &b, 1), 1);
    check("byte at 50", b, block[50]);
    check("lseek SEEK_END -5", lseek(fd, -5, SEEK_END), 10000);
    check("lseek SEEK_END +1000", lseek(fd, 1000, SEEK_END), 11005);
    check("write after hole", write(fd, "X", 1), 1);
    check("fstat ok", fstat(fd, &st), 0);
    check("size with hole", (long)st.st_size, 11006);
    check("pread from hole", pread(fd, &b, 1, 10500), 1);
    check("hole reads zero", b, 0);
    check("pwrite at 3", pwrite(fd, "ABC", 3, 3), 3);
    check("offset unchanged", lseek(fd, 0, SEEK_CUR), 11006);
    check("pread at 2", pread(fd, back, 5, 2), 5);
    check("pwrite landed", memcmp(back + 1, "ABC", 3) == 0 && back[0] == block[2], 1);
    check("lseek negative fails", lseek(fd, -1, SEEK_SET), -1);
    check("  errno EINVAL", errno, EINVAL);
    check("close", close(fd), 0);

    // stdio on the same file: append lines, read them back with fgets/fscanf.
    FILE *f = fopen(path, "w");
    check("fopen w ok", f != NULL, 1);
    if (f == NULL)
        return 1 + failures;
    for (int i = 0; i < 50; i++)
        fprintf(f, "line %d value %d\n", i, i * i - 7);
    check("fclose", fclose(f), 0);
    f = fopen(path, "r");
    check("fopen r ok", f != NULL, 1);
    if (f == NULL)
        return 1 + failures;
    long total = 0;
    int lines = 0, index, value;
    while (fscanf(f, "line %d value %d\n", &index, &value) == 2) {
        total += value;
        lines++;
    }
    check("lines read", lines, 50);
    check("sum of values", total, 49L * 50 * 99 / 6 - 7 * 50);
    check("stat ok", stat(path, &st), 0);
    check("stat size", (long)st.st_size, ftell(f));
    check("fclose", fclose(f), 0);

    check("unlink", unlink(path), 0);
    errno = 0;
    check("open after unlink", open(path, O_RDONLY), -1);
    check("  errno ENOENT", errno, ENOENT);
    check("close bad fd", close(12345), -1);
    check("  errno EBADF", errno, EBADF);
    printf("fileio: %d failure(s)\n", failures);
    return failures ? 1 + failures : 0;
}
