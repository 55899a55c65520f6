/* SPDX-License-Identifier: MIT */
/*
 * Without libFuzzer (a gcc build), each harness links this driver instead: it feeds every
 * file named on the command line (directories are walked one level) to the harness once,
 * so the corpus still runs as a regression test under the sanitizers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)(n > 0 ? n : 0));
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int i, count = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *dir;
		struct dirent *de;

		if (argv[i][0] == '-' || stat(argv[i], &st))
			continue; /* libFuzzer flags mean nothing here */
		if (!S_ISDIR(st.st_mode)) {
			count += replay_file(argv[i]) == 0;
			continue;
		}
		dir = opendir(argv[i]);
		while (dir && (de = readdir(dir))) {
			char path[4096];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			count += replay_file(path) == 0;
		}
		if (dir)
			closedir(dir);
	}
	printf("replayed %d inputs\n", count);
	return count > 0 ? 0 : 1;
}
