"""Reports sent from the villages (tips, complaints, questions, appointments, help, lost and found), with threads."""
