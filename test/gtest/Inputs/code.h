int add(int a, int b);
int twice(int a);
bool isEven(int a);
void crash();
int counted();
int outside();
