int square(int side);
int circle(int radius);
int usage();
