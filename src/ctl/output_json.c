/* output_json.c placeholder */
