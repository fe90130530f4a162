/* The smallest example: greets its arguments from inside the sandbox. */
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	const char *name = getenv("KVM_NAME");

	printf("Hello from %s inside a KVM sandbox%s%s\n", argv[0],
	    name ? ", program " : "", name ? name : "");
	for (int i = 1; i < argc; i++)
		printf("  argument %d: %s\n", i, argv[i]);
	printf("  pi is about %.6f\n", 3.14159265358979);
	return 0;
}
