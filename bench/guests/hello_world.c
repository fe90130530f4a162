/* Benchmark guest: prints one line and exits. */
#include <stdio.h>

int
main(void)
{
	printf("Hello World\n");
	return 0;
}
