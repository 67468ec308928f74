"""The file layer of contact imports and exports: uploaded CSV, XLSX, XLS and ODS files read
as tables of text, contact lists written as CSV or XLSX, and the downloadable templates.
Pure: no database, no Flask; paths and byte streams in, rows and bytes out."""

from portevoix.contacts.files.errors import FileRejectedError
from portevoix.contacts.files.exports import neutralise, write_csv, write_xlsx
from portevoix.contacts.files.tables import Limits, Table, open_table
from portevoix.contacts.files.templates import TEMPLATES, template_file

__all__ = [
    "TEMPLATES",
    "FileRejectedError",
    "Limits",
    "Table",
    "neutralise",
    "open_table",
    "template_file",
    "write_csv",
    "write_xlsx",
]
