# Links the fake model's objects with the runtime archives exactly as
# `lmc compile` does (compiler/Linker.cpp), puts the weights beside the
# executable, and checks that it runs.
get_filename_component(dir ${OUT} DIRECTORY)
file(MAKE_DIRECTORY ${dir})
execute_process(
  COMMAND ${CXX} ${OBJECTS} -L${LIBDIR} -llmcrt_main -llmcrt -lLMCTokenizer
          -lpcre2-8 -lpthread -lm -o ${OUT}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "link failed: ${err}")
endif()
file(COPY_FILE ${WEIGHTS} ${OUT}.weights)
execute_process(COMMAND ${OUT} --tokens 72,105 -n 3 --temp 0 --ids
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^[0-9]+ [0-9]+ [0-9]+\n$")
  message(FATAL_ERROR "the linked executable failed (${rc}): '${out}' ${err}")
endif()
