"""Spreadsheets in and out: the template made from the rules, the importer that turns a filled sheet into claim files
with every problem at its cell, and the printed sign-in sheet whose columns the importer reads back."""
