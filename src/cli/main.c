/* SPDX-License-Identifier: MIT */
#include <stdio.h>

int main(void)
{
	puts("portsight " PS_VERSION);
	return 0;
}
