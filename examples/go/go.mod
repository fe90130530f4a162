module tinykvm.example/hello

go 1.19
