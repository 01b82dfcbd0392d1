# Every target of ours compiles with the same strict warnings; generated protobuf code does not.
add_library(drover_warnings INTERFACE)
target_compile_options(drover_warnings INTERFACE -Wall -Wextra -Werror)
