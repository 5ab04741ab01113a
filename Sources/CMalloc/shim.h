// glibc allocator controls (malloc_trim), for returning freed heap to the system.
#include <malloc.h>
